package graph

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"users/graph/model"
)

// The complexity score of an operation (see cost) is checked against
// DefaultComplexityLimit before any resolver runs. A plain field costs 1:
// it holds at most a few hundred bytes. The other prices say what the field
// really costs next to that (SECURITY.md has the arithmetic).
const (
	// DefaultComplexityLimit admits one full page of users with every field
	// and its totalCount (2,355), and refuses twenty logins.
	DefaultComplexityLimit = 2500
	// infoCost: info holds up to INFO_MAX_BYTES (4 KiB by default), sixteen
	// plain fields of 256 bytes.
	infoCost = 16
	// countCost: totalCount is a count(*) over the whole table, which reads
	// every row; at this price one request holds at most nine.
	countCost = 250
	// loginCost and signupCost: one bcrypt each (about 0.25 s of a core at
	// cost 12); a request holds at most 19.
	loginCost  = 125
	signupCost = 125
)

// complexityLimit refuses operations that cost more than the limit, before
// any resolver runs. It replaces gqlgen's calculator, which multiplies a
// page's whole selection by its size: pageInfo and totalCount, which a page
// has once, cost here once.
type complexityLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = complexityLimit(0)

func (complexityLimit) ExtensionName() string                   { return "ComplexityLimit" }
func (complexityLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l complexityLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if c := cost(oc.Operation.SelectionSet, oc.Variables); c > int(l) {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", c, int(l))
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

// maxCost caps every sum and product, so no document can overflow the score.
const maxCost = 1 << 40

func add(a, b int) int { return min(a+b, maxCost) }

func mul(a, b int) int {
	if b != 0 && a > maxCost/b {
		return maxCost
	}
	return a * b
}

// cost is the complexity of a selection set: each field 1 plus its
// selections, except info (infoCost), totalCount (countCost), login and
// createUser (loginCost, signupCost plus their selections),
// users(first: n) or users(last: n): 1, plus nodes and edges at 1 each plus
// n times what they select of one user, plus the rest of the page
// (pageInfo, totalCount) once; and nodes(ids:): 1 plus, per id, what it
// selects of one object.
// Introspection's __schema costs nothing, as in gqlgen: the depth limit
// bounds it.
func cost(set ast.SelectionSet, vars map[string]any) int {
	w := costWalker{vars: vars, fragments: map[string]int{}, pages: map[string][2]int{}}
	return w.set(set)
}

// costWalker walks an operation once. Each fragment is costed once and
// remembered: a fragment spread twice in a fragment spread twice, and so on,
// would otherwise take time exponential in the document's length.
type costWalker struct {
	vars      map[string]any
	fragments map[string]int    // a fragment's cost
	pages     map[string][2]int // a UserConnection fragment's cost per page and per user
}

func (w *costWalker) set(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = add(total, w.field(s))
		case *ast.InlineFragment:
			total = add(total, w.set(s.SelectionSet))
		case *ast.FragmentSpread:
			c, ok := w.fragments[s.Name]
			if !ok && s.Definition != nil {
				w.fragments[s.Name] = 0 // validation refuses cycles; this stops one anyway
				c = w.set(s.Definition.SelectionSet)
				w.fragments[s.Name] = c
			}
			total = add(total, c)
		}
	}
	return total
}

func (w *costWalker) field(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil || f.Definition.Type.Name() == "__Schema" {
		return 0
	}
	switch f.ObjectDefinition.Name {
	case "User":
		if f.Name == "info" {
			return infoCost
		}
	case "UserConnection":
		if f.Name == "totalCount" {
			return countCost
		}
	case "Mutation":
		switch f.Name {
		case "login":
			return add(loginCost, w.set(f.SelectionSet))
		case "createUser":
			return add(signupCost, w.set(f.SelectionSet))
		}
	case "Query":
		switch f.Name {
		case "users":
			page, perUser := w.page(f.SelectionSet)
			return add(add(1, page), mul(pageSize(f, w.vars), perUser))
		case "nodes":
			return add(1, mul(listLen(f.Arguments.ForName("ids"), w.vars, model.MaxNodes), w.set(f.SelectionSet)))
		}
	}
	return add(1, w.set(f.SelectionSet))
}

// page returns the cost of a UserConnection selection: what a page has once
// (nodes and edges at 1, pageInfo, totalCount) and what it has per user
// (the selections of nodes and edges).
func (w *costWalker) page(set ast.SelectionSet) (page, perUser int) {
	for _, sel := range set {
		var p, u int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "nodes" || s.Name == "edges" {
				p, u = 1, w.set(s.SelectionSet)
			} else {
				p = w.field(s)
			}
		case *ast.InlineFragment:
			p, u = w.page(s.SelectionSet)
		case *ast.FragmentSpread:
			c, ok := w.pages[s.Name]
			if !ok && s.Definition != nil {
				w.pages[s.Name] = c
				c[0], c[1] = w.page(s.Definition.SelectionSet)
				w.pages[s.Name] = c
			}
			p, u = c[0], c[1]
		}
		page, perUser = add(page, p), add(perUser, u)
	}
	return page, perUser
}

// pageSize is how many users users(first:, last:) can return: first or
// last (from a literal or a variable) within 0..model.MaxPageSize, the
// smaller when both are given, model.DefaultPageSize when neither is,
// model.MaxPageSize when one cannot be read (the resolver refuses it then).
func pageSize(f *ast.Field, vars map[string]any) int {
	first, hasFirst := intArg(f.Arguments.ForName("first"), vars)
	last, hasLast := intArg(f.Arguments.ForName("last"), vars)
	switch {
	case hasFirst && hasLast:
		return min(first, last)
	case hasFirst:
		return first
	case hasLast:
		return last
	}
	return model.DefaultPageSize
}

// intArg reads a page size argument: ok is false when it is absent or null;
// a value that is not a readable integer counts as model.MaxPageSize.
func intArg(arg *ast.Argument, vars map[string]any) (n int, ok bool) {
	if arg == nil {
		return 0, false
	}
	v, err := arg.Value.Value(vars)
	if err != nil {
		return model.MaxPageSize, true
	}
	var i int64
	switch v := v.(type) {
	case nil:
		return 0, false
	case int64:
		i = v
	case int:
		i = int64(v)
	case float64:
		i = int64(min(max(v, -1), model.MaxPageSize))
	case json.Number:
		if i, err = v.Int64(); err != nil {
			return model.MaxPageSize, true
		}
	default:
		return model.MaxPageSize, true
	}
	return int(min(max(i, 0), model.MaxPageSize)), true
}

// listLen is how many items a list argument holds (a literal or a
// variable), at most limit; limit when it cannot be read (the resolver
// refuses more than limit).
func listLen(arg *ast.Argument, vars map[string]any, limit int) int {
	if arg == nil {
		return 0
	}
	v, err := arg.Value.Value(vars)
	if err != nil {
		return limit
	}
	if l, ok := v.([]any); ok {
		return min(len(l), limit)
	}
	return limit
}
