package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"users/internal/testdb"
)

// TestTracesReachTheCollector: with OTEL_EXPORTER_OTLP_ENDPOINT set, run
// sends the spans of a request over OTLP/HTTP (protobuf, POST /v1/traces) to
// the collector there, at the latest when it stops.
func TestTracesReachTheCollector(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" && r.Header.Get("Content-Type") == "application/x-protobuf" {
			mu.Lock()
			bodies = append(bodies, b)
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	r := startRun(t, map[string]string{
		"PORT": "0", "DATABASE_URL": testdb.NewURL(t), "LOG_FORMAT": "json", "BCRYPT_COST": "4",
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_SERVICE_NAME": "users-test",
	})
	if st := r.Status(t, "/readyz"); st != http.StatusOK {
		t.Fatalf("/readyz = %d", st)
	}
	if err := r.stop(t, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	all := bytes.Join(bodies, nil)
	for _, want := range []string{"GET /readyz", "users-test", "http.route"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the collector got no %q in %d exports", want, len(bodies))
		}
	}
}
