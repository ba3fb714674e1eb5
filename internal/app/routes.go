package app

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"users/graph"
	"users/internal/clientip"
	"users/internal/config"
	"users/internal/metrics"
	"users/internal/migrate"
	"users/internal/playground"
	"users/internal/tracing"
	"users/rest"
)

// routeSet is what the routes are made of; New builds it.
type routeSet struct {
	log      *slog.Logger
	cfg      config.Config
	pool     *pgxpool.Pool
	tp       trace.TracerProvider // nil: no tracing
	mets     *metrics.Metrics
	auth     func(http.Handler) http.Handler // token → principal
	graphql  http.Handler
	resolver graph.ResolverRoot
}

// routes is every route the public port serves, and the middleware every
// request passes through, in order. It also returns the handler for
// METRICS_ADDR's own listener (nil when there is none; see metricsHandler).
func routes(s routeSet) (chi.Router, http.Handler) {
	r := chi.NewRouter()
	// The body limit comes first: its lingering read after a refused body
	// is not part of the request's logged duration. The client address comes
	// before the access log, which records it, and so does the trace, whose
	// id the access log carries.
	r.Use(limitBody(s.cfg.MaxBodyBytes), requestID, clientip.Middleware(s.cfg.TrustedProxies))
	if s.tp != nil {
		r.Use(tracing.Middleware(s.tp))
	}
	r.Use(accessLog(s.log, s.mets.ObserveHTTP), recoverer(s.log), rest.RoutePath)
	r.Use(corsPolicy(s.cfg.CORSOrigins))
	r.Use(s.auth)

	// GraphQL and its playground.
	r.Handle("/graphql", methods(s.graphql, http.MethodGet, http.MethodPost))
	if s.cfg.Playground {
		pg := playground.New(playground.Options{
			Title: "Users API", Endpoint: "/graphql", Prefix: "/playground",
			Query: PlaygroundDocument, Variables: playgroundVariables, Headers: playgroundHeaders,
		})
		r.Handle("/playground", pg)
		r.Handle("/playground/*", pg)
	}

	// Operations: probes, and /metrics here only outside live when
	// METRICS_ADDR is unset.
	r.Get("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})
	r.Get("/readyz", readyz(s.pool))
	metricsMux := metricsHandler(s.cfg, r, s.mets)

	// The legacy REST API: GET /, /v1/users..., /openapi.json, and the
	// legacy router's answers for everything else (rest/routes.go).
	rest.Routes(r, s.resolver, s.log, banner(s.cfg, s.pool))
	return r, metricsMux
}

// PlaygroundDocument is what the playground opens on: sign up, log in, me
// and a page of users, as named operations, with how to go from one to the
// next (a test validates it against the schema).
//
//go:embed playground.graphql
var PlaygroundDocument string

// The playground's Variables and Headers tabs on a first visit: the page
// size, and where LogIn's token goes (an empty Authorization is no token, so
// running SignUp with the template as it is counts no refused token).
const (
	playgroundVariables = "{\n  \"first\": 5,\n  \"after\": null\n}"
	playgroundHeaders   = "{\n  \"Authorization\": \"\"\n}"
)

// banner is the "database" text of the legacy banner at GET /. Legacy named
// the database host; live says only "postgresql", so the internet does not
// learn where the database is.
func banner(cfg config.Config, pool *pgxpool.Pool) string {
	if cfg.Live() {
		return "postgresql"
	}
	return "postgresql (" + pool.Config().ConnConfig.Host + ")"
}

// methods answers 405 with an Allow header for any other method, as the
// GraphQL-over-HTTP spec wants (the router's fallback is legacy's code 10).
func methods(h http.Handler, allowed ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range allowed {
			if r.Method == m {
				h.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Allow", fmt.Sprint(allowed[0], ", ", allowed[1]))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(`{"errors":[{"message":"method not allowed"}]}`))
	})
}

// readyz reports ready once the database answers and every migration is
// applied; a replica that is not ready gets no traffic from the load balancer.
func readyz(pool *pgxpool.Pool) http.HandlerFunc {
	var migrated atomic.Bool
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, "database unreachable")
			return
		}
		if !migrated.Load() {
			pending, err := migrate.Pending(ctx, pool)
			if err != nil || pending {
				writeStatus(w, http.StatusServiceUnavailable, "migrations pending")
				return
			}
			migrated.Store(true)
		}
		writeStatus(w, http.StatusOK, "ready")
	}
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": status})
}
