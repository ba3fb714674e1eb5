package gqlhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/testserver"

	"users/internal/gqlhttp"
)

const (
	graphQLResponse = "application/graphql-response+json"
	appJSON         = "application/json"
	ctGraphQL       = graphQLResponse + "; charset=utf-8"
	ctJSON          = appJSON + "; charset=utf-8"
	marker          = "s3cr3t-password"
)

// serverKind selects the executable schema behind a test server.
type serverKind int

const (
	// plain is gqlgen's testserver: queries answer {"name":"test"},
	// mutations answer the error "mutations are not supported" with null data.
	plain serverKind = iota
	// fieldError is the testserver with a field error on every resolved field:
	// data plus errors.
	fieldError
	// nullData is gqlgen's error testserver: data null plus a resolver error.
	nullData
	// enums is a schema with an enum and an input object argument.
	enums
	// badData is a schema whose execution result cannot be encoded.
	badData
)

const enumSchema = `
	enum Color { RED GREEN }
	input Creds { user: String! }
	type Query {
		name: String!
		paint(c: Color!): String!
		login(creds: Creds!): String!
	}
`

// mockSchema answers every operation with data.
func mockSchema(data string) graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: enumSchema})
	return &graphql.ExecutableSchemaMock{
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: json.RawMessage(data)})
		},
		SchemaFunc: func() *ast.Schema { return schema },
	}
}

// newServer returns a gqlgen server with only the gqlhttp transport.
func newServer(kind serverKind, tr gqlhttp.Transport) *handler.Server {
	var srv *handler.Server
	switch kind {
	case plain:
		srv = testserver.New().Server
	case fieldError:
		srv = testserver.New().Server
		srv.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
			graphql.AddError(ctx, gqlerror.Errorf("field failed"))
			return next(ctx)
		})
	case nullData:
		srv = testserver.NewError().Server
	case enums:
		srv = handler.New(mockSchema(`{"name":"test"}`))
	case badData:
		srv = handler.New(mockSchema(`{"name":`))
	default:
		panic(fmt.Sprintf("unknown server kind %d", kind))
	}
	srv.AddTransport(tr)
	return srv
}

// response is a recorded response with its decoded body.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r response) contentType() string { return r.header.Get("Content-Type") }

// errorMessages returns the messages of the errors entry.
func (r response) errorMessages() []string {
	list, _ := r.body["errors"].([]any)
	msgs := make([]string, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		s, _ := m["message"].(string)
		msgs = append(msgs, s)
	}
	return msgs
}

// serve runs req through h and checks what every response must satisfy:
// Cache-Control: no-store, a UTF-8 JSON Content-Type, a JSON object body, a
// data entry exactly on 2xx responses and errors on every other response.
func serve(t testing.TB, h http.Handler, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading response body: %v", err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: string(raw)}

	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	if ct := r.contentType(); ct != ctGraphQL && ct != ctJSON {
		t.Errorf("Content-Type = %q, want %q or %q", ct, ctGraphQL, ctJSON)
	}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, raw)
	}
	_, hasData := r.body["data"]
	success := r.status >= 200 && r.status < 300
	switch {
	case success && !hasData:
		t.Errorf("status %d without a data entry: %s", r.status, raw)
	case !success && hasData:
		t.Errorf("status %d with a data entry: %s", r.status, raw)
	case !success && len(r.errorMessages()) == 0:
		t.Errorf("status %d without errors: %s", r.status, raw)
	}
	return r
}

// post builds a POST request with the given body and headers (name, value
// pairs). Content-Type defaults to application/json; "" removes a header.
func post(body string, headers ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", appJSON)
	setHeaders(req, headers)
	return req
}

// get builds a GET request with the given URL query parameters (name, value
// pairs, encoded) and Accept header ("" for none).
func get(accept string, params ...string) *http.Request {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+q.Encode(), nil)
	setHeaders(req, []string{"Accept", accept})
	return req
}

func setHeaders(req *http.Request, headers []string) {
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
}

// wantContentType is the Content-Type for a status under an Accept: 2xx
// responses use the negotiated type, other responses
// application/graphql-response+json.
func wantContentType(accept string, status int) string {
	if accept == appJSON && status >= 200 && status < 300 {
		return ctJSON
	}
	return ctGraphQL
}
