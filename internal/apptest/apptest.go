// Package apptest starts the real service over a fresh test database, for
// black-box tests of GraphQL and REST over HTTP.
package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/app"
	"users/internal/config"
	"users/internal/testdb"
)

// Server is a running service on its own database.
type Server struct {
	URL    string
	Pool   *pgxpool.Pool
	Config config.Config
	Logs   *Buffer // everything the service logged
}

// Config is the test configuration: the legacy key, the cheapest bcrypt, no
// rate limits, everything on.
func Config() config.Config {
	keys, err := fernet.DecodeKeys(config.LegacyKey)
	if err != nil {
		panic(err)
	}
	return config.Config{
		Env:             config.EnvLocal,
		Keys:            keys,
		TokenTTL:        time.Hour,
		BcryptCost:      4,
		Playground:      true,
		Introspection:   true,
		MaxBodyBytes:    64 << 10,
		DBMaxConns:      8,
		LogFormat:       "json",
		ShutdownTimeout: 5 * time.Second,

		InfoMaxBytes:            4096,
		GraphQLMaxResponseBytes: 2 << 20,
	}
}

// Start runs the service with cfg (usually Config() with changes) on a fresh
// migrated database; it stops at the end of the test.
func Start(tb testing.TB, cfg config.Config) *Server {
	tb.Helper()
	return StartOn(tb, cfg, testdb.New(tb))
}

// StartOn runs the service on an existing pool.
func StartOn(tb testing.TB, cfg config.Config, pool *pgxpool.Pool) *Server {
	tb.Helper()
	logs := &Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := app.New(tb.Context(), log, cfg, pool)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return &Server{URL: ts.URL, Pool: pool, Config: cfg, Logs: logs}
}

// Do sends a request and returns the status, headers and body.
func (s *Server) Do(tb testing.TB, method, path string, header http.Header, body string) (int, http.Header, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
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

// GraphQLResponse is a decoded GraphQL answer.
type GraphQLResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code returns the extensions.code of the first error, "" when there is none.
func (r GraphQLResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// GraphQL posts a query with variables and an optional token.
func (s *Server) GraphQL(tb testing.TB, token, query string, vars map[string]any) GraphQLResponse {
	tb.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		tb.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/graphql-response+json"}}
	if token != "" {
		h.Set("Authorization", token)
	}
	status, _, b := s.Do(tb, http.MethodPost, "/graphql", h, string(body))
	var r GraphQLResponse
	if err := json.Unmarshal(b, &r); err != nil {
		tb.Fatalf("graphql: %d %s: %v", status, b, err)
	}
	r.Status = status
	return r
}

// Decode unmarshals r.Data into v.
func (r GraphQLResponse) Decode(tb testing.TB, v any) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("graphql errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// SignUp creates a user through GraphQL and fails the test if it cannot.
func (s *Server) SignUp(tb testing.TB, username, email, password string) {
	tb.Helper()
	r := s.GraphQL(tb, "", `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"username": username, "email": email, "password": password}})
	if len(r.Errors) > 0 {
		tb.Fatalf("sign up %s: %+v", email, r.Errors)
	}
}

// Login logs in through GraphQL and returns the token.
func (s *Server) Login(tb testing.TB, email, password string) string {
	tb.Helper()
	r := s.GraphQL(tb, "", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password})
	var out struct{ Login struct{ Token string } }
	r.Decode(tb, &out)
	return out.Login.Token
}

// Buffer is a goroutine-safe log sink.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
