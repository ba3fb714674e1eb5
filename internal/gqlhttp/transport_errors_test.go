package gqlhttp_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"users/internal/gqlhttp"
)

func TestBodyLimit(t *testing.T) {
	query := `{"query":"{ name }"}`
	padded := func(n int) string { return query[:len(query)-1] + `,"pad":"` + strings.Repeat("x", n) + `"}` }
	tests := []struct {
		name          string
		limit         int64
		body          string
		unknownLength bool
		wantStatus    int
	}{
		{name: "default limit accepts 1000 KiB", limit: 0, body: padded(1000 << 10), wantStatus: 200},
		{name: "default limit rejects over 1 MiB", limit: 0, body: padded(1 << 20), wantStatus: 413},
		{name: "negative limit means default", limit: -1, body: padded(1 << 20), wantStatus: 413},
		{name: "at the limit", limit: int64(len(padded(10))), body: padded(10), wantStatus: 200},
		{name: "one byte over, Content-Length", limit: int64(len(padded(10))), body: padded(11), wantStatus: 413},
		{name: "one byte over, unknown length", limit: int64(len(padded(10))), body: padded(11), unknownLength: true, wantStatus: 413},
		{name: "far over, unknown length", limit: 64, body: padded(4096), unknownLength: true, wantStatus: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := post(tt.body, "Accept", graphQLResponse)
			if tt.unknownLength {
				req.ContentLength = -1
			}
			res := serve(t, newServer(plain, gqlhttp.Transport{MaxBodyBytes: tt.limit}), req)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %.200s", res.status, tt.wantStatus, res.raw)
			}
			if res.status == 413 && !strings.Contains(res.raw, "larger than") {
				t.Errorf("413 body does not explain the limit: %s", res.raw)
			}
		})
	}
}

// TestNoEcho sends malformed requests carrying a secret and checks that the
// secret appears neither in the body nor in the headers of the response.
func TestNoEcho(t *testing.T) {
	tests := []struct {
		name       string
		server     serverKind
		req        *http.Request
		limit      int64
		wantStatus int
	}{
		{name: "truncated JSON", req: post(`{"query":"mutation($p: String!) { login(p: $p) }","variables":{"password":"` + marker + `"`), wantStatus: 400},
		{name: "bare text", req: post(marker), wantStatus: 400},
		{name: "unquoted value", req: post(`{"query":"{ name }","password":` + marker + `}`), wantStatus: 400},
		{name: "data after value", req: post(`{"query":"{ name }"}` + marker), wantStatus: 400},
		{name: "invalid UTF-8", req: post("{\"password\":\"" + marker + "\xff\"}"), wantStatus: 400},
		{name: "missing query", req: post(`{"variables":{"password":"` + marker + `"}}`), wantStatus: 422},
		{name: "query of wrong type", req: post(`{"query":["` + marker + `"]}`), wantStatus: 422},
		{name: "variables of wrong type", req: post(`{"query":"{ name }","variables":"` + marker + `"}`), wantStatus: 422},
		{name: "operationName of wrong type", req: post(`{"query":"{ name }","operationName":{"x":"` + marker + `"}}`), wantStatus: 422},
		{name: "unknown operationName", req: post(`{"query":"query A { name }","operationName":"` + marker + `"}`), wantStatus: 422},
		{name: "Int variable given a string", req: post(`{"query":"query($id: Int!) { find(id: $id) }","variables":{"id":"` + marker + `"}}`), wantStatus: 422},
		{name: "enum variable given a string", server: enums, req: post(`{"query":"query($c: Color!) { paint(c: $c) }","variables":{"c":"` + marker + `"}}`), wantStatus: 422},
		{name: "input variable with unknown key", server: enums, req: post(`{"query":"query($c: Creds!) { login(creds: $c) }","variables":{"c":{"user":"u","` + marker + `":1}}}`), wantStatus: 422},
		{name: "too large", limit: 64, req: post(`{"query":"{ name }","password":"` + marker + strings.Repeat("x", 100) + `"}`), wantStatus: 413},
		{name: "wrong Content-Type", req: post(`password=`+marker, "Content-Type", "application/x-www-form-urlencoded"), wantStatus: 415},
		{name: "GET variables not JSON", req: get(graphQLResponse, "query", "{ name }", "variables", "{password:"+marker+"}"), wantStatus: 400},
		{name: "GET variables not an object", req: get(graphQLResponse, "query", "{ name }", "variables", `["`+marker+`"]`), wantStatus: 422},
		{name: "GET unknown operationName", req: get(graphQLResponse, "query", "query A { name }", "operationName", marker), wantStatus: 422},
		{name: "GET invalid escape", req: func() *http.Request {
			r := get(graphQLResponse)
			r.URL.RawQuery = "query=" + marker + "%zz"
			return r
		}(), wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, newServer(tt.server, gqlhttp.Transport{MaxBodyBytes: tt.limit}), tt.req)
			if res.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.status, tt.wantStatus)
			}
			if strings.Contains(res.raw, marker) {
				t.Errorf("response body echoes the secret: %s", res.raw)
			}
			for name, values := range res.header {
				for _, v := range values {
					if strings.Contains(v, marker) {
						t.Errorf("header %s echoes the secret: %q", name, v)
					}
				}
			}
		})
	}
}

// TestVariableErrorsRewritten checks that request errors which would quote a
// variable value or operationName keep a useful message and path.
func TestVariableErrorsRewritten(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantMessage string
		wantPath    string
	}{
		{name: "enum value", body: `{"query":"query($c: Color!) { paint(c: $c) }","variables":{"c":"BLUE"}}`, wantMessage: "value is not a valid Color", wantPath: `["variable","c"]`},
		{name: "unknown input field", body: `{"query":"query($c: Creds!) { login(creds: $c) }","variables":{"c":{"user":"u","pw":1}}}`, wantMessage: "contains an unknown field", wantPath: `["variable","c"]`},
		{name: "valid enum", body: `{"query":"query($c: Color!) { paint(c: $c) }","variables":{"c":"RED"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, newServer(enums, gqlhttp.Transport{}), post(tt.body, "Accept", graphQLResponse))
			if tt.wantMessage == "" {
				if res.status != 200 {
					t.Fatalf("status = %d, want 200; body %s", res.status, res.raw)
				}
				return
			}
			if res.status != 422 {
				t.Fatalf("status = %d, want 422; body %s", res.status, res.raw)
			}
			if msgs := res.errorMessages(); !slices.Contains(msgs, tt.wantMessage) {
				t.Errorf("errors = %q, want %q", msgs, tt.wantMessage)
			}
			if !strings.Contains(res.raw, `"path":`+tt.wantPath) {
				t.Errorf("body %s lacks path %s", res.raw, tt.wantPath)
			}
		})
	}
}

// TestEncodeFailure checks that a result that cannot be encoded becomes a 500
// in application/json instead of a panic.
func TestEncodeFailure(t *testing.T) {
	for _, accept := range mediaTypes {
		t.Run(accept, func(t *testing.T) {
			res := serve(t, newServer(badData, gqlhttp.Transport{}), post(`{"query":"{ name }"}`, "Accept", accept))
			if res.status != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500; body %s", res.status, res.raw)
			}
			if res.contentType() != ctJSON {
				t.Errorf("Content-Type = %q, want %q", res.contentType(), ctJSON)
			}
		})
	}
}
