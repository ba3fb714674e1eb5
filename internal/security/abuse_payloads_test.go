package security_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"users/internal/apptest"
)

// payloads are hostile values, sent in every field of every entry point.
var payloads = []struct{ name, v string }{
	{"sql quote", "' OR '1'='1"},
	{"sql comment", "admin'--"},
	{"sql drop", `'; DROP TABLE "user"; --`},
	{"sql union", `x' UNION SELECT password, sid FROM "user" --`},
	{"sql double quote", `" OR ""="`},
	{"sql like", "%' OR email LIKE '%"},
	{"sql sleep", "1; SELECT pg_sleep(5)"},
	{"sql backslash", `\'; SELECT 1; --`},
	{"sql dollar quote", "$$; SELECT 1; $$"},
	{"long ascii", strings.Repeat("a", 10000)},
	{"long unicode", strings.Repeat("é", 10000)},
	{"long email", strings.Repeat("a", 10000) + "@example.com"},
	{"long digits", strings.Repeat("9", 10000)},
	{"NUL", "\x00"},
	{"NUL inside", "ab\x00cd"},
	{"control characters", "\x01\x02\x03\x1f\x7f"},
	{"CRLF injection", "abcd\r\nX-Injected: 1"},
	{"tab and newline", "ab\tcd\nef"},
	{"ANSI escape", "\x1b[31mred\x1b[0m"},
	{"invalid UTF-8", "\xff\xfe\xfd"},
	{"truncated UTF-8", "abcd\xc3"},
	{"overlong UTF-8", "\xc0\xafabcd"},
	{"UTF-8 surrogate", "\xed\xa0\x80abcd"},
	{"BOM and RTL override", "\ufeff\u202eabcd"},
	{"line separator", "ab\u2028cd"},
	{"emoji", "😀😀😀😀"},
	{"format string", "%s%n%x%d"},
	{"template", "{{7*7}}${7*7}"},
	{"path traversal", "../../etc/passwd"},
	{"html", "<script>alert(1)</script>"},
	{"json operator", `{"$gt": ""}`},
	{"empty", ""},
	{"spaces", "    "},
	{"negative", "-1"},
	{"huge number", "99999999999999999999999"},
	{"exponent", "1e3"},
}

// rawJSON encodes s as a JSON string, leaving bytes that are not UTF-8 raw
// (encoding/json would replace them), so the server sees them.
func rawJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteByte(s[i])
		} else {
			enc, _ := json.Marshal(string(r))
			b.Write(enc[1 : len(enc)-1])
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// fit makes s a username of legal length (4 to 20 code points), to get the
// value itself past validation.
func fit(s string) string {
	r := []rune(s)
	if len(r) > 16 {
		r = r[:16]
	}
	return string(r) + "_usr"
}

// payload sends v in every field of every entry point.
func (a *abuse) payload(t *testing.T, v string) {
	srv := a.srv
	auth := http.Header{"Authorization": {a.token}}
	jsonH := http.Header{"Content-Type": {"application/json"}}
	// Sign-up over REST and GraphQL, each field in turn.
	for _, gql := range []bool{false, true} {
		create := func(what, username, email, password, infoJSON string, info map[string]any) {
			check := func() { a.verbatim(t, what, username, email, info) }
			if gql {
				a.gqlCreate(t, "GraphQL "+what, username, email, password, infoJSON, check)
			} else {
				a.restCreate(t, "REST "+what, username, email, password, infoJSON, check)
			}
		}
		create("sign-up username", v, a.email(), "test1234", "", nil)
		create("sign-up fitted username", fit(v), a.email(), "test1234", "", nil)
		create("sign-up email", "abuser", v, "test1234", "", nil)
		create("sign-up email local part", "abuser", strings.ReplaceAll(v, "@", "")+"@example.com", "test1234", "", nil)
		create("sign-up password", "abuser", a.email(), v, "", nil)
		if utf8.ValidString(v) {
			create("sign-up info value", "abuser", a.email(), "test1234", `{"k": `+rawJSON(v)+`}`, map[string]any{"k": v})
			create("sign-up info key", "abuser", a.email(), "test1234", `{`+rawJSON(v)+`: "v"}`, map[string]any{v: "v"})
		} else {
			create("sign-up info value", "abuser", a.email(), "test1234", `{"k": `+rawJSON(v)+`}`, nil)
		}
	}
	// An unknown field named by the payload (REST checks the document).
	status, _, env := doREST(t, srv, a.rec, http.MethodPost, "/v1/users", jsonH,
		`{"username": "abuser", "email": "`+a.email()+`", "password": "test1234", `+rawJSON(v)+`: 1}`)
	a.restOK(t, "REST sign-up unknown field", status, env)

	// Login: JSON, form and query string over REST; variables and a
	// document literal over GraphQL; each field in turn.
	for _, cred := range []struct{ field, email, password string }{
		{"email", v, "test1234"},
		{"password", "observer@example.com", v},
	} {
		what := "login " + cred.field
		body := `{"email": ` + rawJSON(cred.email) + `, "password": ` + rawJSON(cred.password) + `}`
		form := "email=" + url.QueryEscape(cred.email) + "&password=" + url.QueryEscape(cred.password)
		for _, req := range []struct{ name, method, path, contentType, body string }{
			{"REST JSON", http.MethodPost, "/v1/users/self/login", "application/json", body},
			{"REST form", http.MethodPost, "/v1/users/self/login", "application/x-www-form-urlencoded", form},
			{"REST query", http.MethodGet, "/v1/users/self/login?" + form, "", ""},
		} {
			status, _, raw := srv.Do(t, req.method, req.path, http.Header{"Content-Type": {req.contentType}}, req.body)
			a.rec.add(raw)
			if headersTooLarge(status, req.path) {
				continue
			}
			var env apptest.Envelope
			if err := json.Unmarshal(raw, &env); err != nil || env.Meta.Code == 0 {
				t.Errorf("%s %s: %d, not an envelope: %.200q", req.name, what, status, raw)
				continue
			}
			a.restOK(t, req.name+" "+what, status, env)
			noEcho(t, req.name+" "+what, raw, cred.password)
		}
		r := doGQLRaw(t, srv, a.rec, nil, `{"query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }", "variables": {"e": `+rawJSON(cred.email)+`, "p": `+rawJSON(cred.password)+`}}`)
		a.gqlOK(t, "GraphQL "+what, r)
		noEcho(t, "GraphQL "+what, r.Body, cred.password)
		if cred.field == "password" && strings.Contains(string(r.Body), `"token"`) && len(r.Errors) == 0 {
			t.Errorf("logged in with password %q", cred.password)
		}
	}
	if utf8.ValidString(v) {
		lit, _ := json.Marshal(v) // a GraphQL string literal is JSON-escaped text
		doc, _ := json.Marshal(map[string]any{"query": `mutation { login(email: ` + string(lit) + `, password: "test1234") { token } }`})
		a.gqlOK(t, "GraphQL login literal", doGQLRaw(t, srv, a.rec, nil, string(doc)))
	}

	// Reads: the user id in the path, list paging, GraphQL arguments.
	for what, path := range map[string]string{
		"REST user id":    "/v1/users/" + url.PathEscape(v),
		"REST list limit": "/v1/users?limit=" + url.QueryEscape(v),
		"REST list after": "/v1/users?after=" + url.QueryEscape(v),
	} {
		status, _, raw := srv.Do(t, http.MethodGet, path, auth, "")
		a.rec.add(raw)
		if !headersTooLarge(status, path) {
			a.restOK(t, what, status, apptest.DecodeEnvelope(t, raw))
		}
	}
	for _, q := range []string{
		`query($v: ID!) { user(id: $v) { id } }`,
		`query($v: String) { users(first: 2, after: $v) { nodes { id } } }`,
		`query($v: Int) { users(first: $v) { nodes { id } } }`,
	} {
		r := doGQLRaw(t, srv, a.rec, auth, `{"query": `+rawJSON(q)+`, "variables": {"v": `+rawJSON(v)+`}}`)
		a.gqlOK(t, "GraphQL "+q, r)
	}
	// As a JSON number, where it is one.
	if json.Valid([]byte(v)) && v != "" {
		r := doGQLRaw(t, srv, a.rec, auth, `{"query": "query($v: Int) { users(first: $v) { nodes { id } } }", "variables": {"v": `+v+`}}`)
		a.gqlOK(t, "GraphQL first number", r)
	}
	// GET /graphql: the payload as variables, and as the document.
	for _, qs := range []string{
		"query=" + url.QueryEscape(`query($v: ID!) { user(id: $v) { id } }`) + "&variables=" + url.QueryEscape(`{"v": `+rawJSON(v)+`}`),
		"query=" + url.QueryEscape(v),
		"query=" + url.QueryEscape("{ me { id } }") + "&operationName=" + url.QueryEscape(v),
	} {
		status, _, body := srv.Do(t, http.MethodGet, "/graphql?"+qs, http.Header{"Authorization": {a.token}, "Accept": {"application/graphql-response+json"}}, "")
		a.rec.add(body)
		if headersTooLarge(status, "/graphql?"+qs) {
			continue
		}
		var r apptest.GraphQLResponse
		if err := json.Unmarshal(body, &r); err != nil {
			t.Errorf("GraphQL GET %s: %d, not JSON: %.200q", qs, status, body)
		}
		r.Status, r.Body = status, body
		a.gqlOK(t, "GraphQL GET", r)
	}
	r := doGQLRaw(t, srv, a.rec, auth, `{"query": "query Q { me { id } }", "operationName": `+rawJSON(v)+`}`)
	a.gqlOK(t, "GraphQL operationName", r)

	// The Authorization header.
	a.authHeader(t, v)
}
