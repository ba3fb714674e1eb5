package rest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"users/internal/apptest"
)

// TestLegacyRouter holds the legacy router's rules (docs/legacy-router.md)
// as cases: how each path and method is answered, including the ones the
// recorded goldens lack. A comment says what legacy answered where we differ
// on purpose; "crashed" is a 500 without the envelope.
func TestLegacyRouter(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "test1", "test1@gmail.com", "test1234") // user 1
	token := srv.Login(t, "test1@gmail.com", "test1234")
	const (
		allowOptions = "DELETE, GET, POST, PUT"
		allow405     = "DELETE, GET, POST, PUT, OPTIONS"
		creds        = `{"email": "test1@gmail.com", "password": "test1234"}`
		ok, banner   = 200, -1 // code: an envelope's meta.code, banner for GET /'s object, 0 for no body
	)
	tests := []struct {
		method, path string
		auth         string // "token", "garbage" or none
		body         string // sent as application/json
		status, code int
		allow        string
		desc         any // meta.description; nil: not checked
	}{
		// "/": GET is the banner; the other inherited responders say 10.
		{method: "GET", path: "/", status: 200, code: banner},
		{method: "POST", path: "/", status: 404, code: 10, desc: "method: POST, url: /"},
		{method: "PUT", path: "/", status: 404, code: 10, desc: "method: PUT, url: /"},
		{method: "DELETE", path: "/", status: 404, code: 10, desc: "method: DELETE, url: /"},
		// Falcon's default OPTIONS responder: 200, no body, OPTIONS not in Allow.
		{method: "OPTIONS", path: "/", status: 200, code: 0, allow: allowOptions},
		// A method Falcon knows and the resource lacks: 405 with Allow
		// (legacy: Falcon's {"title": ...} body; ours the envelope).
		{method: "PATCH", path: "/", status: 405, code: 10, allow: allow405, desc: "method: PATCH, url: /"},
		{method: "TRACE", path: "/", status: 405, code: 10, allow: allow405},
		{method: "PROPFIND", path: "/", status: 405, code: 10, allow: allow405}, // Falcon 2.0: 400
		// HEAD is not GET in Falcon.
		{method: "HEAD", path: "/", status: 405, code: 0, allow: allow405},
		// A method Falcon does not know, on a known path: 400.
		{method: "FOO", path: "/", status: 400, code: 10, desc: "method: FOO, url: /"},
		// gunicorn upper-cased the method.
		{method: "get", path: "/", status: 200, code: banner},
		// Falcon ignored leading slashes; url is the path as sent. The banner
		// was for "/" itself.
		{method: "GET", path: "//", status: 404, code: 10, desc: "method: GET, url: //"},
		{method: "PATCH", path: "//", status: 405, code: 10, allow: allow405},
		{method: "DELETE", path: "//", status: 404, code: 10, desc: "method: DELETE, url: //"},
		{method: "GET", path: "/", auth: "garbage", status: 200, code: banner}, // legacy crashed on any bad token

		// "/v1/users"
		{method: "GET", path: "/v1/users", status: 401, code: 99},
		{method: "GET", path: "/v1/users", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users?x=1", auth: "token", status: 200, code: ok},
		{method: "POST", path: "/v1/users", body: `{"username": "test2", "email": "test2@gmail.com", "password": "test1234"}`, status: 200, code: ok},
		{method: "PUT", path: "/v1/users", status: 401, code: 99},
		{method: "PUT", path: "/v1/users", auth: "token", status: 404, code: 10}, // legacy: 200, empty body
		{method: "DELETE", path: "/v1/users", auth: "token", status: 404, code: 10, desc: "method: DELETE, url: /v1/users"},
		{method: "OPTIONS", path: "/v1/users", status: 200, code: 0, allow: allowOptions},
		{method: "OPTIONS", path: "/v1/users", auth: "garbage", status: 200, code: 0, allow: allowOptions}, // legacy crashed
		{method: "PATCH", path: "/v1/users", auth: "token", status: 405, code: 10, allow: allow405, desc: "method: PATCH, url: /v1/users"},
		{method: "HEAD", path: "/v1/users", auth: "token", status: 405, code: 0, allow: allow405},
		{method: "FOO", path: "/v1/users", status: 400, code: 10},
		// Leading slashes and percent-escapes (gunicorn decoded %2F too).
		{method: "GET", path: "//v1/users", auth: "token", status: 200, code: ok},
		{method: "GET", path: "///v1/users", auth: "token", status: 200, code: ok},
		{method: "DELETE", path: "//v1/users", status: 404, code: 10, desc: "method: DELETE, url: //v1/users"},
		{method: "GET", path: "/v1/%75sers", auth: "token", status: 200, code: ok},
		{method: "DELETE", path: "/v1/%75sers", status: 404, code: 10, desc: "method: DELETE, url: /v1/users"},
		{method: "GET", path: "/%2Fv1/users", status: 401, code: 99},
		// Case, inner empty segments and dot segments are significant.
		{method: "GET", path: "/V1/USERS", auth: "token", status: 404, code: 10, desc: "method: GET, url: /V1/USERS"},
		{method: "GET", path: "/v1/Users", auth: "token", status: 404, code: 10},
		{method: "GET", path: "/v1//users", auth: "token", status: 404, code: 10, desc: "method: GET, url: /v1//users"},
		{method: "GET", path: "/v1/users/../users", auth: "token", status: 404, code: 10},

		// "/v1/users/": no trailing-slash stripping (Falcon 2+), and Falcon's
		// {user_id} matched the empty segment: the user route with id "".
		{method: "GET", path: "/v1/users/", status: 401, code: 99},
		{method: "GET", path: "/v1/users/?x=1", status: 401, code: 99},
		{method: "GET", path: "/v1/users/", auth: "token", status: 404, code: 21, desc: "user id: "},       // legacy crashed
		{method: "POST", path: "/v1/users/", status: 404, code: 10, desc: "method: POST, url: /v1/users/"}, // legacy crashed
		{method: "DELETE", path: "/v1/users/", auth: "token", status: 404, code: 10},                       // legacy crashed
		{method: "OPTIONS", path: "/v1/users/", status: 200, code: 0, allow: allowOptions},
		{method: "PATCH", path: "/v1/users/", status: 405, code: 10, allow: allow405},
		{method: "FOO", path: "/v1/users/", status: 400, code: 10},
		{method: "GET", path: "/v1/users//", auth: "token", status: 404, code: 10},

		// "/v1/users/{id}"
		{method: "GET", path: "/v1/users/1", status: 401, code: 99},
		{method: "GET", path: "/v1/users/1", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users/1?x=1", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users/999999", auth: "token", status: 404, code: 21, desc: "user id: 999999"},
		{method: "GET", path: "/v1/users/-1", auth: "token", status: 404, code: 21, desc: "user id: -1"},
		{method: "GET", path: "/v1/users/0", auth: "token", status: 404, code: 21, desc: "user id: 0"},
		// The id is read as PostgreSQL read the text legacy compared user_id with.
		{method: "GET", path: "/v1/users/01", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users/+1", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users/%201", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users/%091%0A", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users/%31", auth: "token", status: 200, code: ok},
		{method: "GET", path: "/v1/users%2F1", auth: "token", status: 200, code: ok},
		{method: "GET", path: "//v1/users/1", auth: "token", status: 200, code: ok},
		// Not an integer (legacy crashed in the database): no such user.
		{method: "GET", path: "/v1/users/abc", auth: "token", status: 404, code: 21, desc: "user id: abc"},
		{method: "GET", path: "/v1/users/1.0", auth: "token", status: 404, code: 21, desc: "user id: 1.0"},
		{method: "GET", path: "/v1/users/2147483648", auth: "token", status: 404, code: 21, desc: "user id: 2147483648"},
		{method: "GET", path: "/v1/users/.", auth: "token", status: 404, code: 21, desc: "user id: ."},
		{method: "GET", path: "/v1/users/self", status: 401, code: 99},
		{method: "GET", path: "/v1/users/self", auth: "token", status: 404, code: 21, desc: "user id: self"},
		// The inherited responders took no id, so legacy crashed; they meant 10.
		{method: "POST", path: "/v1/users/1", status: 404, code: 10, desc: "method: POST, url: /v1/users/1"},
		{method: "PUT", path: "/v1/users/1", auth: "token", status: 404, code: 10},
		{method: "DELETE", path: "/v1/users/1", auth: "token", status: 404, code: 10, desc: "method: DELETE, url: /v1/users/1"},
		{method: "OPTIONS", path: "/v1/users/1", status: 200, code: 0, allow: allowOptions},
		{method: "OPTIONS", path: "/v1/users/self", status: 200, code: 0, allow: allowOptions},
		{method: "PATCH", path: "/v1/users/1", auth: "token", status: 405, code: 10, allow: allow405},
		{method: "HEAD", path: "/v1/users/1", auth: "token", status: 405, code: 0, allow: allow405},
		{method: "FOO", path: "/v1/users/1", status: 400, code: 10},
		{method: "GET", path: "/v1/users/1/", auth: "token", status: 404, code: 10},
		{method: "GET", path: "/v1/users//1", auth: "token", status: 404, code: 10},
		{method: "GET", path: "/v1/users/1/2", auth: "token", status: 404, code: 10},
		{method: "OPTIONS", path: "/v1/users/1/", status: 404, code: 10},

		// "/v1/users/self/login": the literal wins over {id}.
		{method: "GET", path: "/v1/users/self/login", body: creds, status: 200, code: ok},
		{method: "POST", path: "/v1/users/self/login", body: creds, status: 200, code: ok}, // legacy: 404, code 10
		{method: "GET", path: "/v1/users/self%2Flogin", body: creds, status: 200, code: ok},
		{method: "GET", path: "//v1/users/self/login", body: creds, status: 200, code: ok},
		{method: "PUT", path: "/v1/users/self/login", status: 404, code: 10, desc: "method: PUT, url: /v1/users/self/login"},
		{method: "DELETE", path: "/v1/users/self/login", status: 404, code: 10, desc: "method: DELETE, url: /v1/users/self/login"},
		{method: "OPTIONS", path: "/v1/users/self/login", status: 200, code: 0, allow: allowOptions},
		{method: "PATCH", path: "/v1/users/self/login", status: 405, code: 10, allow: allow405},
		{method: "FOO", path: "/v1/users/self/login", status: 400, code: 10},
		{method: "GET", path: "/v1/users/self/login/", body: creds, status: 404, code: 10},
		{method: "GET", path: "/v1/users/SELF/LOGIN", body: creds, status: 404, code: 10},
		{method: "GET", path: "/v1/users/self/Login", body: creds, status: 404, code: 10},
		{method: "GET", path: "/v1/users/self/resetpw", auth: "token", status: 404, code: 10},

		// Unknown paths: 404 for every method, OPTIONS and unknown ones
		// included, as Falcon routed first (legacy: Falcon's own 404 body).
		{method: "GET", path: "/v1/unknown", status: 404, code: 10, desc: "method: GET, url: /v1/unknown"},
		{method: "GET", path: "/v1", status: 404, code: 10},
		{method: "GET", path: "/v1/", status: 404, code: 10},
		{method: "GET", path: "/v2/users", status: 404, code: 10},
		{method: "GET", path: "/index.html", status: 404, code: 10},
		{method: "OPTIONS", path: "/v1/unknown", status: 404, code: 10},
		{method: "PATCH", path: "/v1/unknown", status: 404, code: 10},
		{method: "FOO", path: "/v1/unknown", status: 404, code: 10, desc: "method: FOO, url: /v1/unknown"},
		{method: "HEAD", path: "/v1/unknown", status: 404, code: 0},
		{method: "GET", path: "/v1/unknown", auth: "garbage", status: 404, code: 10}, // legacy crashed
		// Our own endpoints keep their rules: no legacy OPTIONS there.
		{method: "OPTIONS", path: "/healthz", status: 404, code: 10},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+tt.auth, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			switch tt.auth {
			case "token":
				h.Set("Authorization", token)
			case "garbage":
				h.Set("Authorization", "garbage")
			}
			if tt.body != "" {
				h.Set("Content-Type", "application/json")
			}
			status, header, body := srv.Do(t, tt.method, tt.path, h, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d, want %d\n%s", status, tt.status, body)
			}
			if got := header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			switch tt.code {
			case 0:
				if len(body) != 0 {
					t.Errorf("body = %s, want none", body)
				}
			case banner:
				if e := decodeBanner(t, body); e["server"] != "Falcon REST API Template" {
					t.Errorf("banner = %s", body)
				}
			default:
				if ct := header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				e := apptest.DecodeEnvelope(t, body)
				if e.Meta.Code != tt.code {
					t.Errorf("meta.code = %d, want %d\n%s", e.Meta.Code, tt.code, body)
				}
				if tt.desc != nil && e.Meta.Description != tt.desc {
					t.Errorf("meta.description = %#v, want %#v", e.Meta.Description, tt.desc)
				}
			}
		})
	}
}

func decodeBanner(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("banner: %v: %s", err, body)
	}
	return m
}
