package graph_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/errcode"
)

// restOnly are apperr codes GraphQL never answers with: REST's own refusals.
var restOnly = []string{"NOT_SUPPORTED", "REQUEST_TOO_LARGE"}

// TestErrorCodesDocumented keeps the README's table of extensions.code (a
// contract with clients) and the code in step: every code the service can
// answer is in the table, and the table lists no other.
func TestErrorCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "### Error codes")
	if !ok {
		t.Fatal("README.md has no Error codes section")
	}
	table, _, _ = strings.Cut(table, "\n### ")
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\|").FindAllStringSubmatch(table, -1) {
		documented = append(documented, m[1])
	}

	codes := map[string]bool{errcode.ParseFailed: true, errcode.ValidationFailed: true}
	// apperr's codes, persisted's Code constants, and the codes graph sets itself.
	collect(t, "../internal/apperr/apperr.go", codes, func(name string, spec *ast.ValueSpec) bool {
		id, ok := spec.Type.(*ast.Ident)
		return ok && id.Name == "Code"
	})
	collect(t, "../internal/persisted/persisted.go", codes, func(name string, _ *ast.ValueSpec) bool {
		return strings.HasPrefix(name, "Code")
	})
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "generated.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?:"code": |errcode\.Set\(\w+, )"([A-Z_]+)"`).FindAllStringSubmatch(string(src), -1) {
			codes[m[1]] = true
		}
	}
	for _, c := range restOnly {
		delete(codes, c)
	}
	var want []string
	for c := range codes {
		want = append(want, c)
	}
	slices.Sort(want)
	slices.Sort(documented)
	if !slices.Equal(documented, want) {
		t.Errorf("README.md's error codes %v, want the codes the service answers with: %v", documented, want)
	}
}

// collect adds the string constants of file that keep says are codes.
func collect(t *testing.T, file string, codes map[string]bool, keep func(name string, spec *ast.ValueSpec) bool) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			spec := s.(*ast.ValueSpec)
			for i, name := range spec.Names {
				lit, ok := spec.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || !keep(name.Name, spec) {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				codes[v] = true
				n++
			}
		}
	}
	if n == 0 {
		t.Fatalf("no codes found in %s", file)
	}
}
