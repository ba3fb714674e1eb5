package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecoverer: a panic outside the GraphQL and legacy routes (middleware,
// operations endpoints) answers the operations' plain JSON 500, logged with
// its stack.
func TestRecoverer(t *testing.T) {
	var logs bytes.Buffer
	h := recoverer(slog.New(slog.NewJSONHandler(&logs, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if got, want := strings.TrimSpace(rec.Body.String()), `{"status":"internal error"}`; rec.Code != http.StatusInternalServerError || got != want {
		t.Errorf("answer = %d %s, want 500 %s", rec.Code, got, want)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "recover_test.go") {
		t.Errorf("log has no panic with its stack: %s", logs.String())
	}
}
