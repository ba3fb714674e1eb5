package gqlhttp

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// sanitizeRequestErrors rewrites the request errors of gqlgen and gqlparser
// (v0.17.98 / v2.5.64) that would quote request parameters:
//
//   - "operation <operationName> not found" quotes the operationName;
//   - "<value> is not a valid <Enum>" on a variable quotes the variable value;
//   - "unknown field" on a variable ends its path with a key taken from the
//     variables.
//
// The errors are copied, not modified in place.
func sanitizeRequestErrors(errs gqlerror.List, operationName string) gqlerror.List {
	out := make(gqlerror.List, 0, len(errs))
	for _, e := range errs {
		if e == nil {
			continue
		}
		c := *e
		switch {
		case c.Message == "operation "+operationName+" not found":
			if operationName == "" {
				c.Message = "the document contains several operations; operationName is required"
			} else {
				c.Message = "the document contains no operation named by operationName"
			}
		case isVariablePath(c.Path):
			if i := strings.Index(c.Message, " is not a valid "); i >= 0 {
				c.Message = "value" + c.Message[i:]
			} else if c.Message == "unknown field" && len(c.Path) > 2 {
				c.Path = append(ast.Path(nil), c.Path[:len(c.Path)-1]...)
				c.Message = "contains an unknown field"
			}
		}
		out = append(out, &c)
	}
	return out
}

// isVariablePath reports whether p is the path gqlparser gives to variable
// coercion errors: "variable", then the variable name.
func isVariablePath(p ast.Path) bool {
	if len(p) < 2 {
		return false
	}
	name, ok := p[0].(ast.PathName)
	return ok && name == "variable"
}
