package rest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"users/internal/apptest"
)

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func countUsers(t *testing.T, srv *apptest.Server) int {
	t.Helper()
	var n int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateUserDecoding covers the legacy input decoding of POST /v1/users:
// content types, malformed bodies, and cerberus messages and shapes. Nothing
// is stored on error.
func TestCreateUserDecoding(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	const malformed = "No JSON object could be decoded or Malformed JSON"
	regexEmail := "value does not match regex '[a-zA-Z0-9._-]+@(?:[a-zA-Z0-9-]+\\.)+[a-zA-Z]{2,4}'"
	regexPassword := "value does not match regex '[0-9a-zA-Z]\\w{3,14}'"
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        int
		description any // nil: none expected
	}{
		{"ok with charset", "application/json; charset=utf-8", `{"username":"charset","email":"charset@gmail.com","password":"test1234"}`, 200, 200, nil},
		{"ok with info", "application/json", `{"username":"withinfo","email":"withinfo@gmail.com","password":"test1234","info":{"a":[1,{"b":null}]}}`, 200, 200, nil},
		{"non-ascii username", "application/json", `{"username":"Jürgen","email":"jurgen@web.de","password":"pässwört12"}`, 200, 200, nil},
		{"no content type", "", `{"username":"nocontent","email":"nocontent@gmail.com","password":"test1234"}`, 400, 88, "Content-Type must be application/json"},
		{"form content type", "application/x-www-form-urlencoded", `username=formuser&email=f@gmail.com&password=test1234`, 400, 88, "Content-Type must be application/json"},
		{"malformed", "application/json", `{"username": "test2",`, 400, 88, malformed},
		{"empty body", "application/json", ``, 400, 88, malformed},
		{"array", "application/json", `[]`, 400, 88, malformed},
		{"null", "application/json", `null`, 400, 88, malformed},
		{"string", "application/json", `"x"`, 400, 88, malformed},
		{"trailing data", "application/json", `{} {}`, 400, 88, malformed},
		{"invalid utf-8", "application/json", "{\"username\":\"\xff\xfe\"}", 400, 88, "Cannot be decoded by utf-8"},
		{"empty object", "application/json", `{}`, 400, 88, map[string]any{"username": "required field", "email": "required field", "password": "required field"}},
		{"nulls", "application/json", `{"username":null,"email":null,"password":null,"info":null}`, 400, 88, map[string]any{
			"username": "null value not allowed", "email": "null value not allowed", "password": "null value not allowed", "info": "null value not allowed"}},
		{"wrong types", "application/json", `{"username":12345,"email":true,"password":["x"],"info":"x"}`, 400, 88, map[string]any{
			"username": "must be of string type", "email": "must be of string type", "password": "must be of string type", "info": "must be of dict type"}},
		{"unknown field", "application/json", `{"username":"test2","email":"test2@gmail.com","password":"test1234","foo":"bar"}`, 400, 88, map[string]any{"foo": "unknown field"}},
		{"legacy README example", "application/json", `{"username":"t","email":"test1@gmail.c","password":"123"}`, 400, 88, map[string]any{
			"username": "min length is 4", "email": regexEmail, "password": []any{regexPassword, "min length is 8"}}},
		{"too long", "application/json", `{"username":"` + strings.Repeat("é", 21) + `","email":"a@b.co","password":"` + strings.Repeat("a", 65) + `"}`, 400, 88, map[string]any{
			"username": "max length is 20", "password": []any{regexPassword, "max length is 64"}}},
		// Deliberate difference: the shape is checked first (as GraphQL's type
		// system does), so a document with shape problems gets only those.
		{"shape problems hide value problems", "application/json", `{"username":12345,"email":"test1@gmail.c","password":"123"}`, 400, 88, map[string]any{
			"username": "must be of string type"}},
		{"trailing newline in password", "application/json", `{"username":"newline","email":"newline@gmail.com","password":"abcd1234\n"}`, 400, 88, map[string]any{"password": regexPassword}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countUsers(t, srv)
			h := http.Header{}
			if tt.contentType != "" {
				h.Set("Content-Type", tt.contentType)
			}
			status, header, body := srv.Do(t, http.MethodPost, "/v1/users", h, tt.body)
			if status != tt.status {
				t.Errorf("status = %d, want %d: %s", status, tt.status, body)
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			e := apptest.DecodeEnvelope(t, body)
			if e.Meta.Code != tt.code {
				t.Errorf("meta.code = %d, want %d", e.Meta.Code, tt.code)
			}
			if !jsonEqual(e.Meta.Description, tt.description) {
				t.Errorf("description = %#v, want %#v", e.Meta.Description, tt.description)
			}
			want := before
			if tt.status == 200 {
				want++
			}
			if got := countUsers(t, srv); got != want {
				t.Errorf("users stored = %d, want %d", got, want)
			}
		})
	}
}

// TestDuplicateText checks that the 77 answer's details, which REST writes
// itself, are what psycopg2 printed for PostgreSQL's own error: the same
// duplicate inserted directly gives the same message and DETAIL line.
func TestDuplicateText(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	for _, email := range []string{"test1@gmail.com", "First.Last-x_y@mail.sub-domain.example.info", "a@b.co"} {
		t.Run(email, func(t *testing.T) {
			doc := `{"username": "dupe", "email": "` + email + `", "password": "test1234"}`
			if status, _, body := srv.Do(t, http.MethodPost, "/v1/users", jsonHeader, doc); status != 200 {
				t.Fatalf("first sign-up: %d %s", status, body)
			}
			status, _, body := srv.Do(t, http.MethodPost, "/v1/users", jsonHeader, doc)
			e := apptest.DecodeEnvelope(t, body)
			desc, _ := e.Meta.Description.(map[string]any)
			if status != 500 || e.Meta.Code != 77 || desc == nil {
				t.Fatalf("second sign-up: %d %s, want 500 with code 77", status, body)
			}

			_, err := srv.Pool.Exec(t.Context(), `INSERT INTO "user" (username, email, password, sid) VALUES ('dupe', $1, 'x', 'x')`, email)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("insert of a duplicate: %v, want a PostgreSQL error", err)
			}
			want := "(psycopg2.errors.UniqueViolation) " + pgErr.Message + "\nDETAIL:  " + pgErr.Detail + "\n"
			if desc["details"] != want {
				t.Errorf("details = %q, want %q", desc["details"], want)
			}
		})
	}
}

// TestPythonFormatting checks that answers are byte for byte what Python's
// json.dumps wrote, for clients that grep them.
func TestPythonFormatting(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	_, _, body := srv.Do(t, http.MethodPost, "/v1/users", jsonHeader, `{"username":"test1","email":"test1@gmail.com","password":"test1234","info":{"city":"Zürich"}}`)
	if got, want := string(body), `{"meta": {"code": 200, "message": "OK"}, "data": null}`; got != want {
		t.Errorf("create:\n got %s\nwant %s", got, want)
	}
	_, _, body = srv.Do(t, http.MethodGet, "/v1/users/self/login?email=test1@gmail.com&password=wrongpass1", nil, "")
	if got, want := string(body), `{"meta": {"code": 22, "message": "Password Not Match"}}`; got != want {
		t.Errorf("wrong password:\n got %s\nwant %s", got, want)
	}
	_, _, body = srv.Do(t, http.MethodGet, "/v1/users/self/login?email=test1@gmail.com&password=test1234", nil, "")
	if !strings.Contains(string(body), `"info": {"city": "Z\u00fcrich"}, "modified": `) {
		t.Errorf("login: non-ASCII not escaped as Python did: %s", body)
	}
}

// TestLoginDecoding covers where login credentials come from: a JSON body, a
// form body (even with GET, as the legacy README's curl -d does) or the query
// string, with GET or POST.
func TestLoginDecoding(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "test1", "test1@gmail.com", "test1234")
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		body   string
		status int
		code   int
		desc   any
	}{
		{"json get", "GET", "/v1/users/self/login", jsonHeader, `{"email":"test1@gmail.com","password":"test1234"}`, 200, 200, nil},
		{"json post with charset", "POST", "/v1/users/self/login", http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, `{"email":"test1@gmail.com","password":"test1234"}`, 200, 200, nil},
		{"form get", "GET", "/v1/users/self/login", form, `email=test1%40gmail.com&password=test1234`, 200, 200, nil},
		{"form post", "POST", "/v1/users/self/login", form, `email=test1@gmail.com&password=test1234`, 200, 200, nil},
		{"query string", "GET", "/v1/users/self/login?email=test1@gmail.com&password=test1234", nil, ``, 200, 200, nil},
		{"form wins over query", "POST", "/v1/users/self/login?password=wrongpass1", form, `email=test1@gmail.com&password=test1234`, 200, 200, nil},
		{"wrong password", "GET", "/v1/users/self/login", jsonHeader, `{"email":"test1@gmail.com","password":"wrongpass1"}`, 400, 22, nil},
		{"unknown email", "GET", "/v1/users/self/login", jsonHeader, `{"email":"nobody@gmail.com","password":"test1234"}`, 404, 21, "User email: nobody@gmail.com"},
		{"missing both", "GET", "/v1/users/self/login", nil, ``, 400, 88, map[string]any{"email": "required field", "password": "required field"}},
		{"json wrong types", "GET", "/v1/users/self/login", jsonHeader, `{"email":1,"password":null}`, 400, 88, map[string]any{"email": "must be of string type", "password": "null value not allowed"}},
		{"malformed json", "GET", "/v1/users/self/login", jsonHeader, `{"email":`, 400, 88, "No JSON object could be decoded or Malformed JSON"},
		{"invalid utf-8 in query", "GET", "/v1/users/self/login?email=%ff&password=x", nil, ``, 400, 88, "Cannot be decoded by utf-8"},
		{"put is not supported", "PUT", "/v1/users/self/login", jsonHeader, `{}`, 404, 10, "method: PUT, url: /v1/users/self/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := srv.Do(t, tt.method, tt.path, tt.header, tt.body)
			if status != tt.status {
				t.Errorf("status = %d, want %d: %s", status, tt.status, body)
			}
			e := apptest.DecodeEnvelope(t, body)
			if e.Meta.Code != tt.code || !jsonEqual(e.Meta.Description, tt.desc) {
				t.Errorf("meta = %d %#v, want %d %#v", e.Meta.Code, e.Meta.Description, tt.code, tt.desc)
			}
			if tt.status == 200 {
				var u map[string]any
				if err := json.Unmarshal(e.Data, &u); err != nil {
					t.Fatal(err)
				}
				if tok, _ := u["token"].(string); !strings.HasPrefix(tok, "gAAAAA") {
					t.Errorf("login data has no token: %s", e.Data)
				}
			}
		})
	}
}

// TestRoutes covers authentication, lookups and paging, and that no answer
// carries a hash, a sid or another user's token. The router's rules for
// every path and method are in router_test.go.
func TestRoutes(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "test1", "test1@gmail.com", "test1234")
	srv.SignUp(t, "test2", "test2@gmail.com", "test1234")
	token := srv.Login(t, "test1@gmail.com", "test1234")
	other := srv.Login(t, "test2@gmail.com", "test1234")
	auth := http.Header{"Authorization": {token}}
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
		status int
		code   int
		desc   any
	}{
		{"list", "GET", "/v1/users", auth, 200, 200, nil},
		{"list with bearer", "GET", "/v1/users", http.Header{"Authorization": {"Bearer " + token}}, 200, 200, nil},
		{"list without token", "GET", "/v1/users", nil, 401, 99, nil},
		{"list with garbage token", "GET", "/v1/users", http.Header{"Authorization": {"garbage"}}, 401, 99, "invalid or expired token"},
		{"user", "GET", "/v1/users/1", auth, 200, 200, nil},
		{"user without token", "GET", "/v1/users/1", nil, 401, 99, nil},
		{"user missing", "GET", "/v1/users/999999", auth, 404, 21, "user id: 999999"},
		{"user not a number", "GET", "/v1/users/abc", auth, 404, 21, "user id: abc"},
		{"user self", "GET", "/v1/users/self", auth, 404, 21, "user id: self"},
		{"user id overflow", "GET", "/v1/users/99999999999999999999", auth, 404, 21, "user id: 99999999999999999999"},
		{"put users without token", "PUT", "/v1/users", nil, 401, 99, nil},
		{"put users with token", "PUT", "/v1/users", auth, 404, 10, "method: PUT, url: /v1/users"},
		{"page", "GET", "/v1/users?limit=1", auth, 200, 200, nil},
		{"bad limit", "GET", "/v1/users?limit=0", auth, 400, 88, map[string]any{"limit": "must be from 1 to 100"}},
		{"bad after", "GET", "/v1/users?limit=1&after=x", auth, 400, 88, map[string]any{"after": "must be a user id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := srv.Do(t, tt.method, tt.path, tt.header, "")
			if status != tt.status {
				t.Errorf("status = %d, want %d: %s", status, tt.status, body)
			}
			e := apptest.DecodeEnvelope(t, body)
			if e.Meta.Code != tt.code || !jsonEqual(e.Meta.Description, tt.desc) {
				t.Errorf("meta = %d %#v, want %d %#v", e.Meta.Code, e.Meta.Description, tt.code, tt.desc)
			}
			for _, secret := range []string{`"token"`, `"sid"`, `"password"`, "$2a$", "$2b$", token, other} {
				if strings.Contains(string(body), secret) {
					t.Errorf("answer contains %q: %s", secret, body)
				}
			}
		})
	}
}

// TestUsersPaging walks ?limit=N&after=ID through the Link header.
func TestUsersPaging(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	for _, name := range []string{"user1", "user2", "user3", "user4", "user5"} {
		srv.SignUp(t, name, name+"@gmail.com", "test1234")
	}
	auth := http.Header{"Authorization": {srv.Login(t, "user1@gmail.com", "test1234")}}
	var got []string
	path := "/v1/users?limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		status, header, body := srv.Do(t, http.MethodGet, path, auth, "")
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		var users []struct{ Username string }
		if err := json.Unmarshal(apptest.DecodeEnvelope(t, body).Data, &users); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			got = append(got, u.Username)
		}
		path = ""
		if link := header.Get("Link"); link != "" {
			path = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
		}
	}
	if strings.Join(got, ",") != "user1,user2,user3,user4,user5" {
		t.Errorf("pages gave %v", got)
	}
}

// TestBodyTooLarge: the body limit answers 413 in the envelope.
func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.MaxBodyBytes = 1024
	srv := apptest.Start(t, cfg)
	status, _, body := srv.Do(t, http.MethodPost, "/v1/users", jsonHeader, `{"username":"`+strings.Repeat("a", 2000)+`"}`)
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", status)
	}
	if e := apptest.DecodeEnvelope(t, body); e.Meta.Code != 413 {
		t.Errorf("meta.code = %d, want 413", e.Meta.Code)
	}
}

func jsonEqual(got, want any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}
