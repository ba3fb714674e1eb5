package rest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"users/internal/apptest"
)

// checkEnvelope fails unless body is a legacy envelope with a known status.
func checkEnvelope(t *testing.T, status int, body []byte) apptest.Envelope {
	t.Helper()
	switch status {
	case 200, 400, 401, 404, 413, 429, 500:
	default:
		t.Fatalf("unexpected status %d: %s", status, body)
	}
	e := apptest.DecodeEnvelope(t, body)
	if e.Meta.Message == "" {
		t.Fatalf("an envelope without a message: %q", body)
	}
	if status == 500 && e.Meta.Code == 500 {
		t.Fatalf("internal error for a client input: %s", body)
	}
	return e
}

// FuzzCreateUser: any body and content type gets an envelope, never a crash
// or an internal error, and nothing is stored unless the answer is 200.
func FuzzCreateUser(f *testing.F) {
	srv := apptest.Start(f, apptest.Config())
	srv.SignUp(f, "taken", "taken@gmail.com", "test1234")
	for _, seed := range []struct{ ct, body string }{
		{"application/json", `{"username":"test1","email":"test1@gmail.com","password":"test1234"}`},
		{"application/json", `{"username":"taken","email":"taken@gmail.com","password":"test1234"}`},
		{"application/json; charset=utf-8", `{"username":"t","email":"x","password":"1","info":{"a":1}}`},
		{"application/json", `{"username":null,"info":[],"foo":1}`},
		{"application/json", `{"username": "test2",`},
		{"application/json", "{\"username\":\"\x00abc\",\"email\":\"a@b.co\",\"password\":\"abcd1234\"}"},
		{"application/json", `{"username":"a\u0000bc","email":"a@b.co","password":"abcd1234"}`},
		{"application/json", `{"username":"abcd","email":"a@b.co","password":"abcd1234","info":{"k":"\u0000"}}`},
		{"text/plain", `{}`},
		{"", ""},
		{"application/json", "\xff"},
	} {
		f.Add(seed.ct, seed.body)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		before := countUsers(t, srv)
		status, _, resp := srv.Do(t, http.MethodPost, "/v1/users", http.Header{"Content-Type": {contentType}}, body)
		checkEnvelope(t, status, resp)
		if after := countUsers(t, srv); status != 200 && after != before {
			t.Fatalf("stored a user on a %d answer: %s", status, resp)
		}
	})
}

// FuzzLogin: credentials from any query string, content type and body.
func FuzzLogin(f *testing.F) {
	srv := apptest.Start(f, apptest.Config())
	srv.SignUp(f, "test1", "test1@gmail.com", "test1234")
	f.Add("GET", "email=test1@gmail.com&password=test1234", "", "")
	f.Add("POST", "", "application/x-www-form-urlencoded", "email=test1%40gmail.com&password=x")
	f.Add("GET", "", "application/json", `{"email":"test1@gmail.com","password":"test1234"}`)
	f.Add("GET", "email=%ff", "application/json", `{"email":[1]}`)
	f.Add("POST", "a=%zz", "application/x-www-form-urlencoded", "%zz")
	f.Fuzz(func(t *testing.T, method, rawQuery, contentType, body string) {
		if method != "POST" {
			method = "GET"
		}
		path := "/v1/users/self/login"
		if q, err := url.ParseQuery(rawQuery); err == nil {
			path += "?" + q.Encode()
		}
		status, _, resp := srv.Do(t, method, path, http.Header{"Content-Type": {contentType}}, body)
		e := checkEnvelope(t, status, resp)
		if status == 200 && !strings.Contains(string(e.Data), `"token"`) {
			t.Fatalf("login succeeded without a token: %s", resp)
		}
	})
}

// FuzzUserID: any path segment as a user id. Legacy compared user_id with the
// text, so PostgreSQL itself says which ids are user 1.
func FuzzUserID(f *testing.F) {
	srv := apptest.Start(f, apptest.Config())
	srv.SignUp(f, "test1", "test1@gmail.com", "test1234")
	token := srv.Login(f, "test1@gmail.com", "test1234")
	for _, s := range []string{"1", "0", "-1", "999999", "abc", "self", "99999999999999999999", "1e3", " 1", "%00", "", "self/login", "1/2", "+01", "\t-0001\n", "2147483649", "1 1", "+-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		status, _, resp := srv.Do(t, http.MethodGet, "/v1/users/"+url.PathEscape(id), http.Header{"Authorization": {token}}, "")
		// The path is routed decoded, as legacy's was: "self/login" is the
		// login route, which wants credentials.
		login := id == "self/login" && status == 400 && strings.Contains(string(resp), `"code": 88`)
		if !(status == 200 || status == 404 && strings.Contains(string(resp), `"code": 21`) || status == 404 && strings.Contains(string(resp), `"code": 10`) || login) {
			t.Fatalf("GET /v1/users/%q: %d %s", id, status, resp)
		}
		checkEnvelope(t, status, resp)
		if strings.Contains(id, "/") || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
			return // another path, or text PostgreSQL refuses before any cast
		}
		var n int32
		isUser1 := srv.Pool.QueryRow(t.Context(), `SELECT $1::text::int4`, id).Scan(&n) == nil && n == 1
		if (status == 200) != isUser1 {
			t.Fatalf("GET /v1/users/%q: %d, but PostgreSQL reads it as user 1: %v", id, status, isUser1)
		}
	})
}
