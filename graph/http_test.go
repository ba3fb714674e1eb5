package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"users/graph"
	"users/internal/apptest"
)

// countTokens counts the lexical tokens of a GraphQL document, as the
// parser's token limit does (comments and commas are not tokens).
func countTokens(t *testing.T, q string) int {
	t.Helper()
	lex := lexer.New(&ast.Source{Input: q})
	n := 0
	for {
		tok, err := lex.ReadToken()
		if err != nil {
			t.Fatalf("lex: %v", err)
		}
		if tok.Kind == lexer.EOF {
			return n
		}
		if tok.Kind != lexer.Comment {
			n++
		}
	}
}

// doubling returns op with n fragments on typ, each spreading the next one
// twice, the last selecting field.
func doubling(n int, typ, field, op string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d } ", i, typ, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on %s { %s } %s", n, typ, field, op)
	return b.String()
}

// deepIntrospection returns an introspection query whose deepest field is at
// the given depth (at least 4).
func deepIntrospection(depth int) string {
	return `{ __schema { types { fields { type {` + strings.Repeat(" ofType {", depth-5) + ` name` +
		strings.Repeat(" }", depth-5) + ` } } } } }`
}

func TestLimits(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	signUp(t, srv, "limits", "limits@example.com", "limitspw1")
	token := srv.Login(t, "limits@example.com", "limitspw1")

	aliases := func(n int, field string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return b.String()
	}
	logins := func(n int) string {
		return "mutation {" + aliases(n, `login(email: "limits@example.com", password: "limitspw1") { token }`) + " }"
	}
	// document returns a createUser mutation of exactly n tokens (n > 30), most
	// of them the same field selected again and again, which costs 1 each.
	document := func(t *testing.T, n int) string {
		t.Helper()
		q := `mutation { createUser(input: {username: "tokens", email: "tokens@example.com", password: "tokenspw1",
			info: {list: [0]}}) {` + strings.Repeat(" id", n-30) + ` } }`
		if got := countTokens(t, q); got != n {
			t.Fatalf("document has %d tokens, want %d", got, n)
		}
		return q
	}

	tests := []struct {
		name   string
		query  string
		code   string // "" means it runs without error
		status int
	}{
		{"depth at the limit", deepIntrospection(graph.DefaultDepthLimit), "", http.StatusOK},
		{"depth beyond the limit", deepIntrospection(graph.DefaultDepthLimit + 1), codeTooDeep, http.StatusUnprocessableEntity},
		{"depth beyond the limit in a fragment", `query { ...F } fragment F on Query ` + deepIntrospection(graph.DefaultDepthLimit+1), codeTooDeep, http.StatusUnprocessableEntity},
		// users(first: 100) { nodes { id } } costs 1 + 1 + 100 × 1.
		{"24 full pages of ids", "{" + aliases(24, "users(first: 100) { nodes { id } }") + " }", "", http.StatusOK},
		{"25 full pages of ids", "{" + aliases(25, "users(first: 100) { nodes { id } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		// 1 + 1 + 100 × (5 + 16) + 3 + 250 = 2,355.
		{"a full page of every field and its count", fullPage, "", http.StatusOK},
		{"two full pages with info", "{" + aliases(2, "users(first: 100) { nodes { info } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		{"the page size from a variable", "query($n: Int = 100) {" + aliases(2, "users(first: $n) { nodes { info } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		// users(first: 0) { totalCount } costs 1 + 250.
		{"nine counts", "{" + aliases(9, "users(first: 0) { totalCount }") + " }", "", http.StatusOK},
		{"ten counts", "{" + aliases(10, "users(first: 0) { totalCount }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		{"info in 150 aliases", "{" + aliases(150, "me { info }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		// Each fragment spreads the next twice: 2^150 fields, walked once each.
		{"fragments doubling 150 times", doubling(150, "User", "id", "{ me { ...F0 } }"), codeComplexity, http.StatusUnprocessableEntity},
		{"page fragments doubling 150 times", doubling(150, "UserConnection", "totalCount", "{ users(first: 1) { ...F0 } }"), codeComplexity, http.StatusUnprocessableEntity},
		{"fifty default pages", "{" + aliases(50, "users { nodes { id username email } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		{"a few logins", logins(3), "", http.StatusOK},
		{"twenty logins", logins(20), codeComplexity, http.StatusUnprocessableEntity},
		{"tokens at the limit", document(t, graph.DefaultTokenLimit), "", http.StatusOK},
		{"tokens over the limit", document(t, graph.DefaultTokenLimit+1), codeParseFailed, http.StatusBadRequest},
		{"tokens far over the limit", document(t, 10*graph.DefaultTokenLimit), codeParseFailed, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, tt.query, nil)
			if r.Status != tt.status {
				t.Errorf("status = %d, want %d", r.Status, tt.status)
			}
			if tt.code == "" {
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				return
			}
			wantError(t, r, tt.code)
			wantNoData(t, r)
		})
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	const schemaQuery = `{ __schema { queryType { name } } }`
	const typeQuery = `{ __type(name: "User") { name } }`
	const typoQuery = `{ usrs { id } }`

	t.Run("on", func(t *testing.T) {
		srv := apptest.Start(t, apptest.Config())
		for _, q := range []string{schemaQuery, typeQuery} {
			if r := srv.GraphQL(t, "", q, nil); len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(`"name":"`)) {
				t.Errorf("%s: data %s, errors %+v", q, r.Data, r.Errors)
			}
		}
		r := srv.GraphQL(t, "", typoQuery, nil)
		wantError(t, r, codeValidation)
		if !strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("message = %q, want a suggestion while introspection is on", r.Errors[0].Message)
		}
	})

	t.Run("off", func(t *testing.T) {
		cfg := apptest.Config()
		cfg.Introspection = false
		srv := apptest.Start(t, cfg)
		for _, q := range []string{schemaQuery, typeQuery} {
			r := srv.GraphQL(t, "", q, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("%s: no error, data %s", q, r.Data)
			}
			if bytes.Contains(r.Data, []byte(`"name":"`)) {
				t.Errorf("%s: data %s, want no schema", q, r.Data)
			}
			if c := r.Code(); c == codeInternal {
				t.Errorf("%s: extensions.code = %q, want a client error; errors: %+v", q, c, r.Errors)
			}
		}
		r := srv.GraphQL(t, "", typoQuery, nil)
		wantError(t, r, codeValidation)
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "Did you mean") {
				t.Errorf("message = %q, want no suggestion", e.Message)
			}
		}
		if logs := srv.Logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
			t.Errorf("the service logged an error for refused introspection:\n%s", logs)
		}
	})
}

func TestGraphQLOverHTTP(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	me := signUp(t, srv, "oscar", "oscar@example.com", "oscarpass1")
	token := srv.Login(t, "oscar@example.com", "oscarpass1")
	auth := http.Header{"Authorization": {token}}

	t.Run("GET query with token", func(t *testing.T) {
		status, _, body := srv.Do(t, http.MethodGet, "/graphql?query="+url.QueryEscape("{me{id}}"), auth, "")
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200: %s", status, body)
		}
		var r struct {
			Data struct{ Me struct{ ID string } }
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Data.Me.ID != me.ID {
			t.Errorf("me.id = %q, want %q: %s", r.Data.Me.ID, me.ID, body)
		}
	})

	t.Run("GET query without token", func(t *testing.T) {
		status, _, body := srv.Do(t, http.MethodGet, "/graphql?query="+url.QueryEscape("{me{id}}"), nil, "")
		var r apptest.GraphQLResponse
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%d %s: %v", status, body, err)
		}
		wantError(t, r, codeUnauthenticated)
	})

	t.Run("GET mutation", func(t *testing.T) {
		status, h, body := srv.Do(t, http.MethodGet, "/graphql?query="+url.QueryEscape("mutation{logout}"), auth, "")
		if status != http.StatusMethodNotAllowed {
			t.Errorf("status = %d, want 405: %s", status, body)
		}
		if got := h.Get("Allow"); got != http.MethodPost {
			t.Errorf("Allow = %q, want POST", got)
		}
		// Not executed: the token still works.
		var out struct{ Me user }
		srv.GraphQL(t, token, meQuery, nil).Decode(t, &out)
	})

	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(method, func(t *testing.T) {
			status, h, body := srv.Do(t, method, "/graphql", http.Header{"Content-Type": {"application/json"}}, `{"query":"{me{id}}"}`)
			if status != http.StatusMethodNotAllowed {
				t.Errorf("status = %d, want 405: %s", status, body)
			}
			allow := strings.Split(strings.ReplaceAll(h.Get("Allow"), " ", ""), ",")
			slices.Sort(allow)
			if want := []string{"GET", "POST"}; !slices.Equal(allow, want) {
				t.Errorf("Allow = %q, want GET, POST", h.Get("Allow"))
			}
		})
	}
}
