package tracing_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/dbpool"
	"users/internal/testdb"
	"users/internal/tracing"
)

// BenchmarkTracing serves a GraphQL `me` (the session lookup and a field)
// through the whole handler in process, with tracing off (no tracer
// provider: what production runs without OTEL_EXPORTER_OTLP_ENDPOINT) and
// on (every span recorded, then dropped: the cost of the instrumentation
// without the export). Compare allocs/op and ns/op:
//
//	go test ./internal/tracing -run '^$' -bench Tracing -benchmem -count 6
func BenchmarkTracing(b *testing.B) {
	url := testdb.NewURL(b)
	seed := apptest.StartOn(b, apptest.Config(), mustPool(b, url, nil))
	seed.SignUp(b, "bench", "bench@example.com", "bench1234")
	token := seed.Login(b, "bench@example.com", "bench1234")

	for _, mode := range []string{"off", "on"} {
		var tp trace.TracerProvider
		var tracer pgx.QueryTracer
		if mode == "on" {
			sdk := sdktrace.NewTracerProvider()
			b.Cleanup(func() { _ = sdk.Shutdown(b.Context()) })
			tp, tracer = sdk, tracing.PGX(sdk)
		}
		svc, err := app.New(slog.New(slog.DiscardHandler), apptest.Config(), mustPool(b, url, tracer), tp)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("tracing="+mode, func(b *testing.B) {
			body := `{"query": "{ me { username } }"}`
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", token)
				w := httptest.NewRecorder()
				svc.Handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "errors") {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}

// mustPool opens a pool on url whose queries go to tracer (nil: none).
func mustPool(b *testing.B, url string, tracer pgx.QueryTracer) *pgxpool.Pool {
	b.Helper()
	pool, err := dbpool.Open(b.Context(), dbpool.Options{URL: url, MaxConns: 4, Tracer: tracer})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}
