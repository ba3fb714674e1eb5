package gqlhttp_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/executor"

	"users/internal/gqlhttp"
)

// mediaTypes are the Accept headers every status row is run with: the
// specification's media type and the legacy application/json.
var mediaTypes = []string{graphQLResponse, appJSON}

func TestPOSTStatusCodes(t *testing.T) {
	tests := []struct {
		name        string
		server      serverKind
		body        string
		headers     []string
		wantStatus  int
		wantMessage string // a substring of an error message
	}{
		// Execution results.
		{name: "query", body: `{"query":"{ name }"}`, wantStatus: 200},
		{name: "null optional members", body: `{"query":"{ name }","operationName":null,"variables":null,"extensions":null}`, wantStatus: 200},
		{name: "unknown members are ignored", body: `{"query":"{ name }","id":"abc","extra":[1]}`, wantStatus: 200},
		{name: "variables and extensions objects", body: `{"query":"query($id: Int!) { find(id: $id) }","variables":{"id":1},"extensions":{"x":{}}}`, wantStatus: 200},
		{name: "charset utf-8", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", "application/json; charset=UTF-8"}, wantStatus: 200},
		{name: "media type is case-insensitive", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", "Application/JSON"}, wantStatus: 200},
		{name: "field error with data", server: fieldError, body: `{"query":"{ name }"}`, wantStatus: 294, wantMessage: "field failed"},
		{name: "null data with errors", server: nullData, body: `{"query":"{ name }"}`, wantStatus: 294, wantMessage: "resolver error"},
		{name: "mutation executes over POST", body: `{"query":"mutation { name }"}`, wantStatus: 294, wantMessage: "mutations are not supported"},

		// GraphQL request errors: no execution, no data.
		{name: "document parse failure", body: `{"query":"{"}`, wantStatus: 400},
		{name: "empty document", body: `{"query":""}`, wantStatus: 422},
		{name: "validation failure", body: `{"query":"{ nope }"}`, wantStatus: 422, wantMessage: "nope"},
		{name: "unknown operationName", body: `{"query":"query A { name }","operationName":"B"}`, wantStatus: 422, wantMessage: "no operation named by operationName"},
		{name: "operation not determined", body: `{"query":"query A { name } query B { name }"}`, wantStatus: 422, wantMessage: "operationName is required"},
		{name: "variable coercion failure", body: `{"query":"query($id: Int!) { find(id: $id) }","variables":{"id":"x"}}`, wantStatus: 422},
		{name: "missing variable", body: `{"query":"query($id: Int!) { find(id: $id) }"}`, wantStatus: 422},
		{name: "subscription", body: `{"query":"subscription { name }"}`, wantStatus: 406, wantMessage: "streaming transport"},

		// Requests that are not well-formed.
		{name: "invalid JSON", body: `NONSENSE`, wantStatus: 400, wantMessage: "malformed JSON"},
		{name: "truncated JSON", body: `{"query":`, wantStatus: 400, wantMessage: "unexpected end of JSON input"},
		{name: "empty body", body: ``, wantStatus: 400, wantMessage: "empty"},
		{name: "data after the JSON value", body: `{"query":"{ name }"} {}`, wantStatus: 400},
		{name: "invalid UTF-8", body: "{\"query\":\"{ name }\",\"x\":\"\xff\"}", wantStatus: 400, wantMessage: "UTF-8"},
		{name: "byte order mark", body: "\ufeff{\"query\":\"{ name }\"}", wantStatus: 400},
		{name: "body is an array", body: `[{"query":"{ name }"}]`, wantStatus: 422, wantMessage: "must be a JSON object"},
		{name: "body is a string", body: `"{ name }"`, wantStatus: 422},
		{name: "missing query", body: `{"qeury":"{ name }"}`, wantStatus: 422, wantMessage: `"query" member is required`},
		{name: "query is null", body: `{"query":null}`, wantStatus: 422},
		{name: "query is a number", body: `{"query":1}`, wantStatus: 422, wantMessage: `"query" member must be a string`},
		{name: "query is an object", body: `{"query":{}}`, wantStatus: 422},
		{name: "operationName is a number", body: `{"query":"{ name }","operationName":1}`, wantStatus: 422},
		{name: "variables is an array", body: `{"query":"query Q($i: Int!) { find(id: $i) }","variables":[7]}`, wantStatus: 422, wantMessage: `"variables" member`},
		{name: "variables is a string", body: `{"query":"{ name }","variables":"{}"}`, wantStatus: 422},
		{name: "extensions is an array", body: `{"query":"{ name }","extensions":[]}`, wantStatus: 422, wantMessage: `"extensions" member`},

		// Unsupported Content-Type.
		{name: "no Content-Type", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", ""}, wantStatus: 415, wantMessage: "Content-Type header is required"},
		{name: "text/plain", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", "text/plain"}, wantStatus: 415},
		{name: "form", body: `query=%7B%20name%20%7D`, headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, wantStatus: 415},
		{name: "graphql-response+json request", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", graphQLResponse}, wantStatus: 415},
		{name: "charset latin1", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", "application/json; charset=iso-8859-1"}, wantStatus: 415, wantMessage: "charset"},
		{name: "invalid media type", body: `{"query":"{ name }"}`, headers: []string{"Content-Type", "application/json; ;"}, wantStatus: 415},
	}
	for _, accept := range mediaTypes {
		for _, tt := range tests {
			t.Run(accept+"/"+tt.name, func(t *testing.T) {
				srv := newServer(tt.server, gqlhttp.Transport{})
				req := post(tt.body, append([]string{"Accept", accept}, tt.headers...)...)
				res := serve(t, srv, req)

				want := tt.wantStatus
				if want == gqlhttp.StatusPartialSuccess && accept == "application/json" {
					want = http.StatusOK // 294 goes only with application/graphql-response+json
				}
				if res.status != want {
					t.Fatalf("status = %d, want %d; body %s", res.status, want, res.raw)
				}
				if want := wantContentType(accept, res.status); res.contentType() != want {
					t.Errorf("Content-Type = %q, want %q", res.contentType(), want)
				}
				if tt.wantMessage != "" && !slices.ContainsFunc(res.errorMessages(), func(m string) bool {
					return strings.Contains(m, tt.wantMessage)
				}) {
					t.Errorf("errors %q do not mention %q", res.errorMessages(), tt.wantMessage)
				}
				if tt.wantStatus == 200 {
					if _, ok := res.body["errors"]; ok {
						t.Errorf("200 response with errors: %s", res.raw)
					}
					if data, _ := res.body["data"].(map[string]any); data["name"] != "test" {
						t.Errorf("data = %v, want name test", res.body["data"])
					}
				}
			})
		}
	}
}

func TestGETStatusCodes(t *testing.T) {
	tests := []struct {
		name       string
		params     []string // name, value pairs
		rawQuery   string   // used instead of params when set
		wantStatus int
		wantAllow  string
	}{
		{name: "query", params: []string{"query", "{ name }"}, wantStatus: 200},
		{name: "query with variables", params: []string{"query", "query($id: Int!) { find(id: $id) }", "variables", `{"id":1}`}, wantStatus: 200},
		{name: "empty optional parameters", params: []string{"query", "{ name }", "operationName", "", "variables", "", "extensions", ""}, wantStatus: 200},
		{name: "null variables", params: []string{"query", "{ name }", "variables", "null"}, wantStatus: 200},
		{name: "extensions object", params: []string{"query", "{ name }", "extensions", `{"a":1}`}, wantStatus: 200},
		{name: "query selected by operationName", params: []string{"query", "query Q { name } mutation M { name }", "operationName", "Q"}, wantStatus: 200},
		{name: "mutation", params: []string{"query", "mutation { name }"}, wantStatus: 405, wantAllow: "POST"},
		{name: "mutation selected by operationName", params: []string{"query", "query Q { name } mutation M { name }", "operationName", "M"}, wantStatus: 405, wantAllow: "POST"},
		{name: "subscription", params: []string{"query", "subscription { name }"}, wantStatus: 406},
		{name: "document parse failure", params: []string{"query", "{"}, wantStatus: 400},
		{name: "validation failure", params: []string{"query", "{ nope }"}, wantStatus: 422},
		{name: "unknown operationName", params: []string{"query", "query A { name }", "operationName", "B"}, wantStatus: 422},
		{name: "variable coercion failure", params: []string{"query", "query($id: Int!) { find(id: $id) }", "variables", `{"id":"x"}`}, wantStatus: 422},
		{name: "missing query", params: []string{"operationName", "A"}, wantStatus: 422},
		{name: "query given twice", params: []string{"query", "{ name }", "query", "{ name }"}, wantStatus: 422},
		{name: "variables not JSON", params: []string{"query", "{ name }", "variables", "{id:1}"}, wantStatus: 400},
		{name: "variables an array", params: []string{"query", "{ name }", "variables", "[1]"}, wantStatus: 422},
		{name: "variables a string", params: []string{"query", "{ name }", "variables", `"{}"`}, wantStatus: 422},
		{name: "extensions not JSON", params: []string{"query", "{ name }", "extensions", "{"}, wantStatus: 400},
		{name: "extensions a number", params: []string{"query", "{ name }", "extensions", "1"}, wantStatus: 422},
		{name: "invalid percent escape", rawQuery: "query=%zz", wantStatus: 400},
		{name: "invalid UTF-8", rawQuery: "query=%ff", wantStatus: 400},
	}
	for _, accept := range mediaTypes {
		for _, tt := range tests {
			t.Run(accept+"/"+tt.name, func(t *testing.T) {
				req := get(accept, tt.params...)
				if tt.rawQuery != "" {
					req.URL.RawQuery = tt.rawQuery
				}
				res := serve(t, newServer(plain, gqlhttp.Transport{}), req)

				if res.status != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", res.status, tt.wantStatus, res.raw)
				}
				if want := wantContentType(accept, res.status); res.contentType() != want {
					t.Errorf("Content-Type = %q, want %q", res.contentType(), want)
				}
				if got := res.header.Get("Allow"); got != tt.wantAllow {
					t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
				}
			})
		}
	}
}

func TestOperationNameSelection(t *testing.T) {
	const doc = `query Q { name } mutation M { name }`
	tests := []struct {
		name          string
		operationName string
		wantStatus    int
		wantMessage   string
	}{
		{name: "query", operationName: "Q", wantStatus: 200},
		{name: "mutation", operationName: "M", wantStatus: 294, wantMessage: "mutations are not supported"},
		{name: "missing", operationName: "", wantStatus: 422, wantMessage: "operationName is required"},
		{name: "unknown", operationName: "X", wantStatus: 422, wantMessage: "no operation named by operationName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"query":"` + doc + `","operationName":"` + tt.operationName + `"}`
			res := serve(t, newServer(plain, gqlhttp.Transport{}), post(body, "Accept", graphQLResponse))
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", res.status, tt.wantStatus, res.raw)
			}
			if tt.wantMessage != "" && !slices.ContainsFunc(res.errorMessages(), func(m string) bool {
				return strings.Contains(m, tt.wantMessage)
			}) {
				t.Errorf("errors %q do not mention %q", res.errorMessages(), tt.wantMessage)
			}
		})
	}
}

func TestAcceptNegotiation(t *testing.T) {
	tests := []struct {
		name       string
		accept     []string // Accept header lines; nil for none
		wantStatus int
		wantType   string
	}{
		{name: "no Accept", accept: nil, wantStatus: 200, wantType: ctGraphQL},
		{name: "empty Accept", accept: []string{""}, wantStatus: 200, wantType: ctGraphQL},
		{name: "graphql-response+json", accept: []string{graphQLResponse}, wantStatus: 200, wantType: ctGraphQL},
		{name: "json", accept: []string{appJSON}, wantStatus: 200, wantType: ctJSON},
		{name: "any", accept: []string{"*/*"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "application wildcard", accept: []string{"application/*"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "recommended header", accept: []string{"application/graphql-response+json, application/json;q=0.9"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "order decides equal q, graphql first", accept: []string{"application/graphql-response+json, application/json"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "order decides equal q, json first", accept: []string{"application/json, application/graphql-response+json"}, wantStatus: 200, wantType: ctJSON},
		{name: "q prefers graphql", accept: []string{"application/json;q=0.5, application/graphql-response+json"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "q prefers json", accept: []string{"application/graphql-response+json;q=0.5, application/json"}, wantStatus: 200, wantType: ctJSON},
		{name: "explicit json beats wildcard", accept: []string{"*/*, application/json"}, wantStatus: 200, wantType: ctJSON},
		{name: "browser navigation", accept: []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "q=0 excludes graphql", accept: []string{"application/graphql-response+json;q=0, */*"}, wantStatus: 200, wantType: ctJSON},
		{name: "q=0 excludes json", accept: []string{"application/json;q=0, application/*"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "charset utf-8", accept: []string{"application/json; charset=utf-8"}, wantStatus: 200, wantType: ctJSON},
		{name: "case-insensitive", accept: []string{"Application/GraphQL-Response+JSON"}, wantStatus: 200, wantType: ctGraphQL},
		{name: "several header lines", accept: []string{"text/html", "application/json;q=0.2"}, wantStatus: 200, wantType: ctJSON},
		{name: "quoted comma in a parameter", accept: []string{`application/json;p="a,b", application/graphql-response+json;q=0.5`}, wantStatus: 200, wantType: ctJSON},
		{name: "invalid element ignored", accept: []string{"garbage;;, application/json"}, wantStatus: 200, wantType: ctJSON},
		{name: "unsupported only", accept: []string{"text/html"}, wantStatus: 406, wantType: ctJSON},
		{name: "xml and text", accept: []string{"application/xml, text/plain"}, wantStatus: 406, wantType: ctJSON},
		{name: "all excluded", accept: []string{"application/json;q=0, application/graphql-response+json;q=0"}, wantStatus: 406, wantType: ctJSON},
		{name: "any excluded", accept: []string{"*/*;q=0"}, wantStatus: 406, wantType: ctJSON},
		{name: "other charset", accept: []string{"application/json; charset=iso-8859-1"}, wantStatus: 406, wantType: ctJSON},
		{name: "invalid q", accept: []string{"application/json;q=2"}, wantStatus: 406, wantType: ctJSON},
		{name: "garbage", accept: []string{"???"}, wantStatus: 406, wantType: ctJSON},
	}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		for _, tt := range tests {
			t.Run(method+"/"+tt.name, func(t *testing.T) {
				var req *http.Request
				if method == http.MethodPost {
					req = post(`{"query":"{ name }"}`)
				} else {
					req = get("", "query", "{ name }")
				}
				req.Header.Del("Accept")
				for _, line := range tt.accept {
					req.Header.Add("Accept", line)
				}
				res := serve(t, newServer(plain, gqlhttp.Transport{}), req)
				if res.status != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", res.status, tt.wantStatus, res.raw)
				}
				if res.contentType() != tt.wantType {
					t.Errorf("Content-Type = %q, want %q", res.contentType(), tt.wantType)
				}
			})
		}
	}
}

// TestCheckOrder checks which error wins when a request has several problems:
// Content-Type (415) before Accept (406) before the body.
func TestCheckOrder(t *testing.T) {
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
	}{
		{name: "bad Content-Type and Accept", req: post(`NONSENSE`, "Content-Type", "text/plain", "Accept", "text/html"), wantStatus: 415},
		{name: "bad Accept and body", req: post(`NONSENSE`, "Accept", "text/html"), wantStatus: 406},
		{name: "GET bad Accept and parameters", req: get("text/html", "variables", "["), wantStatus: 406},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, newServer(plain, gqlhttp.Transport{}), tt.req)
			if res.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", res.status, tt.wantStatus, res.raw)
			}
		})
	}
}

func TestSupports(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		headers []string
		want    bool
	}{
		{name: "GET", method: http.MethodGet, want: true},
		{name: "POST", method: http.MethodPost, want: true},
		{name: "POST with any Content-Type", method: http.MethodPost, headers: []string{"Content-Type", "text/plain"}, want: true},
		{name: "PUT", method: http.MethodPut, want: false},
		{name: "OPTIONS", method: http.MethodOptions, want: false},
		{name: "GET with Upgrade", method: http.MethodGet, headers: []string{"Upgrade", "websocket"}, want: false},
		{name: "POST with Upgrade", method: http.MethodPost, headers: []string{"Upgrade", "h2c"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/graphql", nil)
			setHeaders(req, tt.headers)
			if got := (gqlhttp.Transport{}).Supports(req); got != tt.want {
				t.Errorf("Supports = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDoOtherMethod calls Do directly with a method Supports rejects.
func TestDoOtherMethod(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPut, "/graphql", strings.NewReader(`{"query":"{ name }"}`))
	req.Header.Set("Content-Type", appJSON)
	gqlhttp.Transport{}.Do(rec, req, executor.New(mockSchema(`{"name":"test"}`)))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status = %d, want 405", rec.Code)
	}
	if got := rec.Header().Get("Allow"); got != "GET, POST" {
		t.Errorf("Allow = %q, want %q", got, "GET, POST")
	}
}
