package security_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"users/internal/apptest"
	"users/internal/server"
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

// abuse runs requests against one server and checks every answer.
type abuse struct {
	srv    *apptest.Server
	rec    *recorder
	token  string // the observer's token, for routes that need one
	seq    atomic.Int64
	stored atomic.Int64 // hostile values that were stored (and checked)
}

func (a *abuse) email() string { return fmt.Sprintf("abuse%d@example.com", a.seq.Add(1)) }

// headersTooLarge reports whether net/http refused a request whose URL is
// over the public port's limit (server.MaxHeaderBytes) with 431, before any
// handler ran: the one answer in neither the envelope nor GraphQL's format.
func headersTooLarge(status int, path string) bool {
	return status == http.StatusRequestHeaderFieldsTooLarge && len(path) > server.MaxHeaderBytes
}

// restOK checks a REST answer: an envelope (doREST checks that), and no 500
// except legacy's duplicate (HTTP 500 with code 77).
func (a *abuse) restOK(t *testing.T, what string, status int, env apptest.Envelope) {
	t.Helper()
	if env.Meta.Code == 500 || (status >= 500 && env.Meta.Code != 77) {
		t.Errorf("%s: %d %+v, want a clear error or success", what, status, env.Meta)
	}
}

// gqlOK checks a GraphQL answer: no 5xx and no INTERNAL error.
func (a *abuse) gqlOK(t *testing.T, what string, r apptest.GraphQLResponse) {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("%s: status %d: %.300s", what, r.Status, r.Body)
	}
	for _, e := range r.Errors {
		if e.Code() == "INTERNAL" || e.Message == "" {
			t.Errorf("%s: %.300s", what, r.Body)
		}
	}
}

// noEcho checks that a password sent in a request is not in its answer.
func noEcho(t *testing.T, what string, body []byte, password string) {
	t.Helper()
	if len(password) < 6 {
		return // too short to tell apart from other text
	}
	enc, _ := json.Marshal(password)
	if bytes.Contains(body, []byte(password)) || bytes.Contains(body, enc[1:len(enc)-1]) {
		t.Errorf("%s: the answer repeats the submitted password: %.300q", what, body)
	}
}

// verbatim checks that a user created with these values holds them exactly.
func (a *abuse) verbatim(t *testing.T, what, username, email string, info map[string]any) {
	t.Helper()
	var gotName, gotEmail string
	var gotInfo map[string]any
	err := a.srv.Pool.QueryRow(t.Context(), `SELECT username, email, info FROM "user" WHERE email = $1`, email).Scan(&gotName, &gotEmail, &gotInfo)
	if err != nil {
		t.Errorf("%s: created, but not found: %v", what, err)
		return
	}
	if gotName != username || gotEmail != email || !reflect.DeepEqual(gotInfo, info) {
		t.Errorf("%s: stored %q %q %v, want %q %q %v", what, gotName, gotEmail, gotInfo, username, email, info)
	}
	a.stored.Add(1)
}

// restCreate signs up over REST with one field replaced by raw JSON text.
func (a *abuse) restCreate(t *testing.T, what, username, email, password, infoJSON string, check func()) {
	t.Helper()
	body := `{"username": ` + rawJSON(username) + `, "email": ` + rawJSON(email) + `, "password": ` + rawJSON(password)
	if infoJSON != "" {
		body += `, "info": ` + infoJSON
	}
	body += "}"
	status, _, env := doREST(t, a.srv, a.rec, http.MethodPost, "/v1/users", http.Header{"Content-Type": {"application/json"}}, body)
	a.restOK(t, what, status, env)
	if status == http.StatusOK && check != nil {
		check()
	}
}

// gqlCreate signs up over GraphQL with variables built as raw JSON.
func (a *abuse) gqlCreate(t *testing.T, what, username, email, password, infoJSON string, check func()) apptest.GraphQLResponse {
	t.Helper()
	in := `{"username": ` + rawJSON(username) + `, "email": ` + rawJSON(email) + `, "password": ` + rawJSON(password)
	if infoJSON != "" {
		in += `, "info": ` + infoJSON
	}
	in += "}"
	r := doGQLRaw(t, a.srv, a.rec, nil, `{"query": "mutation($in: CreateUserInput!) { createUser(input: $in) { id username email info } }", "variables": {"in": `+in+`}}`)
	a.gqlOK(t, what, r)
	noEcho(t, what, r.Body, password)
	if len(r.Errors) == 0 && check != nil {
		check()
	}
	return r
}

// TestAbuse sends every hostile value in every field of every REST and
// GraphQL entry point. Each answer is a clear error (envelope, GraphQL error;
// never a 500 or INTERNAL) or a success that stored the value verbatim; the
// server stays up; and no answer or log line holds a hash, the key, another
// user's token or a submitted password.
func TestAbuse(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	a := &abuse{srv: srv, rec: &recorder{}}
	const observerPassword, victimPassword = "Observer1234", "Victim98765"
	srv.SignUp(t, "observer", "observer@example.com", observerPassword)
	srv.SignUp(t, "victim", "victim@example.com", victimPassword)
	a.token = srv.Login(t, "observer@example.com", observerPassword)
	victimToken := srv.Login(t, "victim@example.com", victimPassword)

	t.Run("payloads", func(t *testing.T) {
		for _, p := range payloads {
			t.Run(p.name, func(t *testing.T) {
				t.Parallel()
				a.payload(t, p.v)
			})
		}
	})
	t.Run("deep and wide", func(t *testing.T) { a.shapes(t) })
	t.Run("deep JSON", func(t *testing.T) { a.deepJSON(t) })

	// Still up, still working.
	if status, _, _ := srv.Do(t, http.MethodGet, "/healthz", nil, ""); status != http.StatusOK {
		t.Errorf("/healthz = %d after the abuse", status)
	}
	if tok := srv.Login(t, "victim@example.com", victimPassword); tok == "" {
		t.Error("the victim cannot log in after the abuse")
	}
	if a.stored.Load() == 0 {
		t.Error("no hostile value was stored: the verbatim checks never ran")
	}
	// No answer and no log line holds a secret.
	secrets := withSecrets(map[string]string{
		"the observer's token":    a.token[20:60],
		"the victim's token":      victimToken[20:60],
		"the victim's password":   victimPassword,
		"the observer's password": observerPassword,
	})
	assertNoSecrets(t, "an answer", a.rec.all(), secrets)
	assertNoSecrets(t, "the log", logLines(srv), secrets)
	t.Logf("%d answers checked, %d hostile values stored verbatim", len(a.rec.all()), a.stored.Load())
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
