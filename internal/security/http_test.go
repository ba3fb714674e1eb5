package security_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/config"
)

// TestCORS: browser apps on CORS_ALLOWED_ORIGINS may call the API with
// credentials; no other origin gets a CORS grant, and with no origin
// configured nobody does.
func TestCORS(t *testing.T) {
	t.Parallel()
	const app = "https://app.example.com"
	cfg := apptest.Config()
	cfg.CORSOrigins = []string{app, "https://*.example.com", "null"} // a pattern and "null" are never honoured
	srv := apptest.Start(t, cfg)

	preflight := func(t *testing.T, srv *apptest.Server, path, origin, method, headers string) (int, http.Header) {
		t.Helper()
		h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
		if headers != "" {
			h.Set("Access-Control-Request-Headers", headers)
		}
		status, hdr, _ := srv.Do(t, http.MethodOptions, path, h, "")
		return status, hdr
	}

	for _, path := range []string{"/graphql", "/v1/users", "/v1/users/self/login"} {
		t.Run("preflight allowed "+path, func(t *testing.T) {
			status, h := preflight(t, srv, path, app, "POST", "authorization, content-type")
			if status >= 300 {
				t.Errorf("status = %d", status)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != app {
				t.Errorf("Allow-Origin = %q, want %q", got, app)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != "true" {
				t.Errorf("Allow-Credentials = %q, want true", got)
			}
			if got := strings.ToLower(h.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") || !strings.Contains(got, "content-type") {
				t.Errorf("Allow-Headers = %q", got)
			}
			if got := h.Get("Access-Control-Allow-Methods"); got != "POST" {
				t.Errorf("Allow-Methods = %q", got)
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary = %q, want Origin (caches must not share grants)", h.Values("Vary"))
			}
		})
	}
	t.Run("Apollo Client's headers", func(t *testing.T) {
		// As a browser sends them: lower case, sorted, no spaces.
		const headers = "apollographql-client-name,apollographql-client-version,apollographql-library-name,apollographql-library-version,authorization,content-type"
		_, h := preflight(t, srv, "/graphql", app, "POST", headers)
		if got := h.Get("Access-Control-Allow-Origin"); got != app {
			t.Errorf("Allow-Origin = %q, want %q", got, app)
		}
		if got := strings.ToLower(h.Get("Access-Control-Allow-Headers")); got != headers {
			t.Errorf("Allow-Headers = %q, want %q", got, headers)
		}
	})
	refused := []struct{ name, origin, method, headers string }{
		{"other origin", "https://evil.example", "POST", "content-type"},
		{"subdomain (no patterns)", "https://evil.example.com", "POST", "content-type"},
		{"null origin", "null", "POST", "content-type"},
		{"look-alike origin", "https://app.example.com.evil.example", "POST", ""},
		{"other scheme", "http://app.example.com", "POST", ""},
		{"method not allowed", app, "DELETE", ""},
		{"header not allowed", app, "POST", "x-custom"},
	}
	for _, tt := range refused {
		t.Run("preflight refused "+tt.name, func(t *testing.T) {
			_, h := preflight(t, srv, "/graphql", tt.origin, tt.method, tt.headers)
			if got := h.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Allow-Origin = %q, want none", got)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Allow-Credentials = %q, want none", got)
			}
		})
	}
	t.Run("actual request", func(t *testing.T) {
		body := `{"query": "{ __typename }"}`
		h := http.Header{"Content-Type": {"application/json"}, "Origin": {app}}
		_, hdr, _ := srv.Do(t, http.MethodPost, "/graphql", h, body)
		if hdr.Get("Access-Control-Allow-Origin") != app || hdr.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("allowed origin: Allow-Origin %q, Allow-Credentials %q", hdr.Get("Access-Control-Allow-Origin"), hdr.Get("Access-Control-Allow-Credentials"))
		}
		if !strings.Contains(hdr.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Errorf("Expose-Headers = %q, want Retry-After among them", hdr.Get("Access-Control-Expose-Headers"))
		}
		h.Set("Origin", "https://evil.example")
		_, hdr, _ = srv.Do(t, http.MethodPost, "/graphql", h, body)
		if hdr.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("other origin granted: %q", hdr.Get("Access-Control-Allow-Origin"))
		}
	})
	t.Run("no origins configured", func(t *testing.T) {
		srv := apptest.Start(t, apptest.Config())
		_, h := preflight(t, srv, "/graphql", app, "POST", "content-type")
		if got := h.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Allow-Origin = %q with no origin configured", got)
		}
		_, h, _ = srv.Do(t, http.MethodPost, "/graphql", http.Header{"Content-Type": {"application/json"}, "Origin": {app}}, `{"query": "{ __typename }"}`)
		if got := h.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Allow-Origin = %q with no origin configured", got)
		}
	})
	t.Run("wildcard refused by configuration", func(t *testing.T) {
		env := map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example, *"}
		if _, err := config.Load(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "CORS_ALLOWED_ORIGINS") {
			t.Errorf("config.Load with a wildcard origin: %v, want a CORS_ALLOWED_ORIGINS error", err)
		}
	})
}

// hiddenLength hides a body's length, so it is sent chunked.
type hiddenLength struct{ io.Reader }

// TestBodyLimit: every route refuses a body over MAX_BODY_BYTES with 413, in
// the legacy envelope on REST and a GraphQL error on /graphql, with or without
// a Content-Length; a body under it is served.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.MaxBodyBytes = 16 << 10
	srv := apptest.Start(t, cfg)
	big := strings.Repeat("x", 32<<10)
	jsonUser := `{"username": "biguser", "email": "big@example.com", "password": "test1234", "info": {"pad": "` + big + `"}}`
	form := "email=big%40example.com&password=test1234&pad=" + big

	send := func(t *testing.T, method, path, contentType, body string, chunked bool) (int, []byte) {
		t.Helper()
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = hiddenLength{rd}
		}
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	rest := []struct{ name, method, path, contentType, body string }{
		{"sign-up", http.MethodPost, "/v1/users", "application/json", jsonUser},
		{"login JSON", http.MethodPost, "/v1/users/self/login", "application/json", `{"email": "big@example.com", "password": "test1234", "pad": "` + big + `"}`},
		{"login form", http.MethodPost, "/v1/users/self/login", "application/x-www-form-urlencoded", form},
		{"login GET with form body", http.MethodGet, "/v1/users/self/login", "application/x-www-form-urlencoded", form},
	}
	for _, tt := range rest {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s chunked=%v", tt.name, chunked), func(t *testing.T) {
				status, b := send(t, tt.method, tt.path, tt.contentType, tt.body, chunked)
				var env apptest.Envelope
				if err := json.Unmarshal(b, &env); err != nil {
					t.Fatalf("%d, not an envelope: %.200q", status, b)
				}
				if status != http.StatusRequestEntityTooLarge || env.Meta.Code != 413 || env.Meta.Message != "Request Entity Too Large" {
					t.Errorf("got %d %+v, want 413 with meta 413 Request Entity Too Large", status, env.Meta)
				}
				if bytes.Contains(b, []byte("xxxxxxxx")) {
					t.Errorf("the answer echoes the body")
				}
			})
		}
	}
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("graphql chunked=%v", chunked), func(t *testing.T) {
			body := `{"query": "mutation($in: CreateUserInput!) { createUser(input: $in) { id } }", "variables": {"in": ` + jsonUser + `}}`
			status, b := send(t, http.MethodPost, "/graphql", "application/json", body, chunked)
			var r apptest.GraphQLResponse
			if err := json.Unmarshal(b, &r); err != nil || len(r.Errors) == 0 {
				t.Fatalf("%d, not a GraphQL error: %.200q", status, b)
			}
			if status != http.StatusRequestEntityTooLarge {
				t.Errorf("status = %d, want 413", status)
			}
			if bytes.Contains(b, []byte("xxxxxxxx")) || bytes.Contains(b, []byte("test1234")) {
				t.Errorf("the answer echoes the body: %.300q", b)
			}
		})
	}
	var n int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n); err != nil || n != 0 {
		t.Errorf("users stored = %d (%v), want none", n, err)
	}
	t.Run("under the limit", func(t *testing.T) {
		// 12 KiB, most of it whitespace: info stays under INFO_MAX_BYTES.
		small := strings.Replace(jsonUser, big, strings.Repeat("x", 4000), 1) + strings.Repeat(" ", 8<<10)
		if status, b := send(t, http.MethodPost, "/v1/users", "application/json", small, true); status != http.StatusOK {
			t.Errorf("sign-up of 12 KiB: %d %.300s", status, b)
		}
	})
}
