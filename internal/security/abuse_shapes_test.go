package security_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"users/internal/apptest"
)

// authHeader sends v as the Authorization header, to REST and GraphQL: it is
// never a user, so 401/99 and UNAUTHENTICATED. Values that net/http will not
// send (control characters) go over a raw connection, where the server may
// also refuse the request outright with 400.
func (a *abuse) authHeader(t *testing.T, v string) {
	t.Helper()
	for _, bearer := range []string{"", "Bearer "} {
		h := bearer + v
		if strings.TrimSpace(h) == "" {
			continue // no header at all: covered by the token tests
		}
		if validHeaderValue(h) {
			status, _, env := doREST(t, a.srv, a.rec, http.MethodGet, "/v1/users", http.Header{"Authorization": {h}}, "")
			if status != http.StatusUnauthorized || env.Meta.Code != 99 {
				t.Errorf("REST Authorization %.40q: %d %+v, want 401/99", h, status, env.Meta)
			}
			r := doGQL(t, a.srv, a.rec, http.Header{"Authorization": {h}}, `{ me { id } }`, nil)
			if r.Codes()["me"] != "UNAUTHENTICATED" {
				t.Errorf("GraphQL Authorization %.40q: %.300s", h, r.Body)
			}
			continue
		}
		for _, path := range []string{"/v1/users", "/graphql?query=%7Bme%7Bid%7D%7D"} {
			status, body := rawGet(t, a.srv, path, "Authorization: "+h)
			a.rec.add(body)
			// 294: GraphQL-over-HTTP partial success (data null, errors).
			if status >= 500 || (status != 400 && status != 401 && status != 200 && status != 294) {
				t.Errorf("raw Authorization %.40q on %s: %d %.200q", h, path, status, body)
			}
			if (status == 200 || status == 294) && !bytes.Contains(body, []byte("UNAUTHENTICATED")) {
				t.Errorf("raw Authorization %.40q on %s: 200 %.200q", h, path, body)
			}
		}
	}
}

// validHeaderValue reports whether net/http's client will send v.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// rawGet sends a GET with header lines as they are, bytes and all.
func rawGet(t *testing.T, srv *apptest.Server, path, header string) (int, []byte) {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAccept: application/graphql-response+json\r\n" + header + "\r\nConnection: close\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("raw GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// shapes sends deep, wide, cyclic and flooding GraphQL documents: each is
// refused with a GraphQL error (or, when within the limits, answered).
func (a *abuse) shapes(t *testing.T) {
	auth := http.Header{"Authorization": {a.token}}
	repeat := func(format string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, format, i)
		}
		return b.String()
	}
	// Far deeper than any client's introspection (GraphiQL's goes 13 levels).
	deepIntrospection := "{ __schema { types { fields { type" + strings.Repeat(" { ofType", 30) + " { name }" + strings.Repeat(" }", 30) + " } } } }"
	cyclicIntrospection := "{ __schema { types" + strings.Repeat(" { fields { type", 8) + " { name }" + strings.Repeat(" } }", 8) + " } }"
	tests := []struct {
		name, query string
		wantCode    string // "" accepts any GraphQL error or data; "A|B" either code
	}{
		{"deep introspection", deepIntrospection, "QUERY_TOO_DEEP"},
		{"exponential introspection", cyclicIntrospection, "QUERY_TOO_DEEP|GRAPHQL_VALIDATION_FAILED"},
		{"deep fragments", "fragment A on __Type { ofType { ...B } } fragment B on __Type" + strings.Repeat(" { ofType", 30) + " { name }" + strings.Repeat(" }", 30) + " { __schema { types { ...A } } }", "QUERY_TOO_DEEP"},
		{"fragment cycle", "fragment A on User { ...B } fragment B on User { ...A } { me { ...A } }", ""},
		{"thousand braces", strings.Repeat("{", 1000) + strings.Repeat("}", 1000), ""},
		{"ten thousand braces", strings.Repeat("{ me ", 10000), ""},
		{"wide aliases", "{" + repeat(" a%d: me { id username email info created modified }", 400) + " }", ""},
		{"typename flood", "{" + repeat(" t%d: __typename", 600) + " }", ""},
		{"wide page", "{ a: users(first: 100) { nodes { id username email info created modified } } b: users(first: 100) { nodes { id username email info created modified } } }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"huge first", "{ users(first: 2147483647) { nodes { id } } }", ""},
		{"overflowing first", "{ users(first: 99999999999999) { nodes { id } } }", ""},
		{"negative first", "{ users(first: -5) { nodes { id } } }", "INVALID_PARAMETER"},
		{"login alias flood", "mutation {" + repeat(` l%d: login(email: "observer@example.com", password: "wrong12345") { token }`, 50) + " }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"sign-up alias flood", "mutation {" + repeat(` c%d: createUser(input: {username: "flood", email: "flood%[1]d@example.com", password: "test1234"}) { id }`, 40) + " }", "COMPLEXITY_LIMIT_EXCEEDED"},
		{"count flood", "{" + repeat(" c%d: users(first: 0) { totalCount }", 300) + " }", ""},
		{"directives flood", "{ me " + strings.Repeat("@include(if: true) ", 500) + "{ id } }", ""},
		{"many operations", repeat("query Q%d { me { id } } ", 300), ""},
		{"unknown field", "{ password sid __schema { types { name } } }", ""},
		{"subscription", "subscription { me { id } }", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := doGQL(t, a.srv, a.rec, auth, tt.query, nil)
			a.gqlOK(t, tt.name, r)
			if tt.wantCode != "" && (len(r.Errors) == 0 || !slices.Contains(strings.Split(tt.wantCode, "|"), r.Errors[0].Code())) {
				t.Errorf("%s: %.300s, want %s", tt.name, r.Body, tt.wantCode)
			}
		})
	}
	// A batch (a JSON array) is not a GraphQL-over-HTTP request.
	r := doGQLRaw(t, a.srv, a.rec, auth, "["+strings.TrimSuffix(strings.Repeat(`{"query": "{ me { id } }"},`, 100), ",")+"]")
	if r.Status < 400 || r.Status >= 500 {
		t.Errorf("batch: %d %.200s", r.Status, r.Body)
	}
}

// deepJSON sends deeply nested info objects, which JSON decoders and
// PostgreSQL's jsonb may refuse, but must not crash on.
func (a *abuse) deepJSON(t *testing.T) {
	for _, depth := range []int{100, 1000, 5000} {
		info := strings.Repeat(`{"a": `, depth) + "1" + strings.Repeat("}", depth)
		t.Run(fmt.Sprintf("depth %d", depth), func(t *testing.T) {
			a.restCreate(t, fmt.Sprintf("REST info depth %d", depth), "deepuser", a.email(), "test1234", info, nil)
			a.gqlCreate(t, fmt.Sprintf("GraphQL info depth %d", depth), "deepuser", a.email(), "test1234", info, nil)
		})
	}
}
