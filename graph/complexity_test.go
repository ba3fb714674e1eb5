package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2"

	"users/graph/model"
)

// TestCost checks the complexity arithmetic SECURITY.md states, on documents
// validated against the schema.
func TestCost(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	const every = `id username email info created modified`
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"one field", `{ me { id } }`, nil, 2},
		{"info", `{ me { info } }`, nil, 1 + infoCost},
		{"one user, every field", `{ user(id: "1") { ` + every + ` } }`, nil, 1 + 5 + infoCost},
		// 1 + 1 (nodes) + 100 × (5 + 16) + 3 (pageInfo) = 2,105
		{"the full page", `{ users(first: 100) { nodes { ` + every + ` } pageInfo { hasNextPage endCursor } } }`, nil, 2105},
		{"the full page and its count", `{ users(first: 100) { nodes { ` + every + ` } pageInfo { hasNextPage endCursor } totalCount } }`, nil, 2105 + countCost},
		{"a count alone", `{ users(first: 0) { totalCount } }`, nil, 1 + countCost},
		{"the default page", `{ users { nodes { id } } }`, nil, 2 + model.DefaultPageSize},
		{"edges", `{ users(first: 10) { edges { cursor node { id info } } } }`, nil, 2 + 10*(1+1+1+infoCost)},
		{"nodes and edges", `{ users(first: 10) { nodes { id } edges { node { id } } } }`, nil, 3 + 10*(1+2)},
		{"first from a variable", `query($n: Int) { users(first: $n) { nodes { id } } }`, map[string]any{"n": int64(50)}, 2 + 50},
		{"first null", `query($n: Int) { users(first: $n) { nodes { id } } }`, map[string]any{"n": nil}, 2 + model.DefaultPageSize},
		{"first over the page size", `{ users(first: 100000) { nodes { id } } }`, nil, 2 + model.MaxPageSize},
		{"first negative", `{ users(first: -5) { nodes { id } } }`, nil, 2},
		{"a page in a fragment", `{ users(first: 10) { ...P } } fragment P on UserConnection { nodes { ...U } totalCount } fragment U on User { id info }`, nil, 2 + countCost + 10*(1+infoCost)},
		{"inline fragments", `{ users(first: 10) { ... on UserConnection { nodes { ... on User { id } } } } }`, nil, 2 + 10},
		{"last like first", `{ users(last: 30) { nodes { id } } }`, nil, 2 + 30},
		{"last from a variable", `query($n: Int) { users(last: $n, before: "x") { nodes { id } } }`, map[string]any{"n": int64(7)}, 2 + 7},
		{"last over the page size", `{ users(last: 100000) { nodes { id } } }`, nil, 2 + model.MaxPageSize},
		{"first and last: the smaller", `{ users(first: 50, last: 5) { nodes { id } } }`, nil, 2 + 5},
		{"node", `{ node(id: "x") { id ... on User { info } } }`, nil, 1 + 1 + infoCost},
		{"nodes: per id", `{ nodes(ids: ["a", "b", "c"]) { id ... on User { info } } }`, nil, 1 + 3*(1+infoCost)},
		{"nodes from a variable", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"a", "b"}}, 1 + 2},
		{"nodes over the limit", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": make([]any, 1000)}, 1 + model.MaxNodes},
		{"aliases", `{ a: me { info } b: me { info } }`, nil, 2 * (1 + infoCost)},
		{"login", `mutation { login(email: "a@b.co", password: "x") { token user { id } } }`, nil, loginCost + 1 + 2},
		{"sign-up", `mutation { createUser(input: {username: "abcd", email: "a@b.co", password: "x"}) { id } }`, nil, signupCost + 1},
		{"introspection's __schema", `{ __schema { types { name } } }`, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil) // nil: the default rules
			if errs != nil {
				t.Fatal(errs)
			}
			if got := cost(doc.Operations[0].SelectionSet, tt.vars); got != tt.want {
				t.Errorf("cost = %d, want %d", got, tt.want)
			}
		})
	}
	if DefaultComplexityLimit < 2105+countCost || 20*(loginCost+1) <= DefaultComplexityLimit {
		t.Errorf("the limit %d must admit the full page and its count, and refuse twenty logins", DefaultComplexityLimit)
	}
}
