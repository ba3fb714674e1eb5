package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Client sends requests to a service under test at URL (http://host:port):
// a Server, a server a test started itself, or the legacy app.
type Client struct {
	URL  string
	HTTP *http.Client // nil: http.DefaultClient
}

func (c Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Do sends a request and returns the status, headers and body.
func (c Client) Do(tb testing.TB, method, path string, header http.Header, body string) (int, http.Header, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, c.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// Status sends a GET and returns the status.
func (c Client) Status(tb testing.TB, path string) int {
	tb.Helper()
	status, _, _ := c.Do(tb, http.MethodGet, path, nil, "")
	return status
}

// REST sends a request to a legacy REST route and decodes the envelope,
// failing the test if the body is not one.
func (c Client) REST(tb testing.TB, method, path string, header http.Header, body string) (int, Envelope) {
	tb.Helper()
	status, _, b := c.Do(tb, method, path, header, body)
	return status, DecodeEnvelope(tb, b)
}

// GraphQL posts a query with variables and an optional token (sent raw in
// Authorization, as legacy clients do).
func (c Client) GraphQL(tb testing.TB, token, query string, vars map[string]any) GraphQLResponse {
	tb.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", token)
	}
	return c.GraphQLRaw(tb, h, graphQLBody(tb, query, vars))
}

// GraphQLRaw posts a raw GraphQL-over-HTTP body with header (Content-Type
// application/json and Accept application/graphql-response+json unless
// header says otherwise) and decodes the answer, failing the test if it is
// not JSON.
func (c Client) GraphQLRaw(tb testing.TB, header http.Header, body string) GraphQLResponse {
	tb.Helper()
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/graphql-response+json")
	}
	status, _, b := c.Do(tb, http.MethodPost, "/graphql", h, body)
	r, err := decodeGraphQL(status, b)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// PostGraphQL is GraphQL without a testing.TB, for goroutines: it returns
// what fails instead of failing the test.
func (c Client) PostGraphQL(ctx context.Context, token, query string, vars map[string]any) (GraphQLResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return GraphQLResponse{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return GraphQLResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return GraphQLResponse{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return GraphQLResponse{}, err
	}
	return decodeGraphQL(resp.StatusCode, b)
}

func graphQLBody(tb testing.TB, query string, vars map[string]any) string {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		tb.Fatal(err)
	}
	return string(body)
}

func decodeGraphQL(status int, body []byte) (GraphQLResponse, error) {
	r := GraphQLResponse{Status: status, Body: body}
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("graphql: status %d, not JSON (%v): %.300q", status, err, body)
	}
	return r, nil
}

// SignUp creates a user through GraphQL and fails the test if it cannot.
func (c Client) SignUp(tb testing.TB, username, email, password string) {
	tb.Helper()
	r := c.GraphQL(tb, "", `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"username": username, "email": email, "password": password}})
	if len(r.Errors) > 0 {
		tb.Fatalf("sign up %s: %+v", email, r.Errors)
	}
}

// Login logs in through GraphQL and returns the token.
func (c Client) Login(tb testing.TB, email, password string) string {
	tb.Helper()
	r := c.GraphQL(tb, "", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password})
	var out struct{ Login struct{ Token string } }
	r.Decode(tb, &out)
	return out.Login.Token
}

// GraphQLGet sends a GraphQL request over GET with the URL query params and
// header (Accept application/graphql-response+json unless header says
// otherwise) and decodes the answer, failing the test if it is not JSON.
func (c Client) GraphQLGet(tb testing.TB, header http.Header, params url.Values) GraphQLResponse {
	tb.Helper()
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/graphql-response+json")
	}
	status, _, b := c.Do(tb, http.MethodGet, "/graphql?"+params.Encode(), h, "")
	r, err := decodeGraphQL(status, b)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
