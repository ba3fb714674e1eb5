package rest

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecoverer: a panic in a legacy route answers the envelope's 500 and
// is logged with its stack; a deliberate abort passes through.
func TestRecoverer(t *testing.T) {
	var logs bytes.Buffer
	h := recoverer(slog.New(slog.NewJSONHandler(&logs, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/users", nil))
	if got, want := rec.Body.String(), `{"meta": {"code": 500, "message": "Unknown Error"}}`; rec.Code != http.StatusInternalServerError || got != want {
		t.Errorf("answer = %d %s, want 500 %s", rec.Code, got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "recover_test.go") {
		t.Errorf("log has no panic with its stack: %s", logs.String())
	}

	abort := recoverer(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler to pass through", p)
		}
	}()
	abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/users", nil))
}
