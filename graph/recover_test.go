package graph

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"users/internal/auth"
)

// TestPanics: a panic in a resolver is a field error, and one outside
// gqlgen a GraphQL result with status 500; both are INTERNAL, say only
// "internal error", and are logged with their stack.
func TestPanics(t *testing.T) {
	tests := []struct {
		name    string
		handler func(log *slog.Logger) http.Handler
		status  int
	}{
		{"in a resolver", func(log *slog.Logger) http.Handler {
			// No database: the me resolver panics on its nil queries.
			h := NewHandler(&Resolver{Logger: log}, log, HandlerOptions{})
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{UserID: 1, SID: "s"})))
			})
		}, http.StatusOK},
		{"before gqlgen", func(log *slog.Logger) http.Handler {
			return recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				panic("boom")
			}), ErrorPresenter(log))
		}, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := tt.handler(slog.New(slog.NewJSONHandler(&logs, nil)))
			req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": "{ me { id } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			var res struct {
				Data   json.RawMessage
				Errors []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatalf("not a GraphQL result: %v: %s", err, rec.Body)
			}
			if rec.Code != tt.status || len(res.Errors) != 1 || res.Errors[0].Extensions.Code != "INTERNAL" || res.Errors[0].Message != "internal error" {
				t.Errorf("answer = %d %s, want %d and one INTERNAL error", rec.Code, rec.Body, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/") || !strings.Contains(ct, "json") {
				t.Errorf("Content-Type = %q", ct)
			}
			if !strings.Contains(logs.String(), "panic: ") || !strings.Contains(logs.String(), "goroutine") {
				t.Errorf("log has no panic with its stack: %s", logs.String())
			}
		})
	}
}
