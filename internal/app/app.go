// Package app wires the service: one chi router holding GraphQL, the
// playground, the legacy REST layer and the operations endpoints, over one
// set of resolvers and one middleware stack. It builds and starts nothing:
// internal/server runs what New returns.
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

	"github.com/99designs/gqlgen/graphql"
	"github.com/fernet/fernet-go"
	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"users/graph"
	"users/internal/auth"
	"users/internal/clientip"
	"users/internal/config"
	"users/internal/dbpool"
	"users/internal/metrics"
	"users/internal/migrate"
	"users/internal/persisted"
	"users/internal/playground"
	"users/internal/ratelimit"
	"users/internal/secevent"
	"users/internal/sessioncache"
	"users/internal/tracing"
	"users/rest"
)

// Service is the service built and not yet running: the handlers for its
// listeners and the work that runs beside them.
type Service struct {
	// Handler serves the public port.
	Handler http.Handler
	// Metrics serves /metrics on METRICS_ADDR's own listener; nil when
	// METRICS_ADDR is unset or "off" (see metricsHandler).
	Metrics http.Handler
	// Background runs while the listeners serve, each until its context
	// ends, then returns: the session cache's listener and the rate
	// limiter's upkeep. A non-nil error stops the service.
	Background []func(context.Context) error
}

// New builds the service on pool. It starts no goroutine and opens no
// listener or connection of its own. tp, when not nil, traces every request
// (internal/tracing; the pool's own tracer is set where the pool is made);
// nil installs no tracing code at all.
func New(log *slog.Logger, cfg config.Config, pool *pgxpool.Pool, tp trace.TracerProvider) (*Service, error) {
	log = slog.New(withRequestID{log.Handler()})
	passwords, err := auth.NewPasswords(cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewTokens(cfg.Keys, fernet.MustDecodeKeys(config.LegacyKey)[0], cfg.TokenTTL, time.Now)
	if err != nil {
		return nil, err
	}
	if err := config.CheckCoexistence(cfg); err != nil {
		return nil, fmt.Errorf("LEGACY_COEXISTENCE: %w", err)
	}
	if cfg.LegacyCoexistence {
		log.Warn("legacy coexistence on: sign-ups and logins store legacy tokens",
			"accepts", "the token stored for each user, which never expires here and works on the legacy app until the legacy key changes there; logout here revokes it here only",
			"action", "turn LEGACY_COEXISTENCE off once the legacy app serves no traffic (docs/upgrade.md)")
	}
	if tokens.LegacyVerifyOnly() {
		log.Warn("legacy key in SECRET_KEY: verify-only",
			"accepts", "a token signed with the public legacy key only if it is exactly the token the legacy app stored for its user, and only until that user logs out",
			"action", "drop the legacy key from SECRET_KEY once legacy clients have logged in again (SECURITY.md, The legacy key)")
	}
	if cfg.Live() && cfg.UserDirectory == auth.DirectoryLegacy {
		log.Warn("USER_DIRECTORY=legacy: every user can read every user's email and info",
			"action", "set USER_DIRECTORY=private once legacy clients no longer need other users' emails (SECURITY.md, API3)")
	}
	if tp != nil {
		passwords.SetTracer(tracing.Tracer(tp))
	}
	mets := metrics.New()
	mets.WatchPool(pool)
	mets.WatchBcrypt(passwords.InFlight)
	events := secevent.New(log, secevent.NewEmailHasher(cfg.Keys[0][:]), mets.SecurityEvent)
	limiter, err := ratelimit.FromConfig(log, cfg, ratelimit.Options{
		Events: events, OnReject: mets.RateLimitRejected, OnStoreError: mets.RateLimitStoreError,
	})
	if err != nil {
		return nil, err
	}
	mets.WatchRateLimitStore(limiter.StoreDegraded)
	resolver := graph.NewResolver(pool, graph.Resolver{
		Logger:    log,
		Passwords: passwords,
		Tokens:    tokens,
		Limits:    limiter,
		Events:    events,

		PasswordPolicy: cfg.PasswordPolicy,
		Directory:      cfg.UserDirectory,
		InfoMaxBytes:   cfg.InfoMaxBytes,
		Coexistence:    cfg.LegacyCoexistence,
	})

	r := chi.NewRouter()
	// The body limit comes first: its lingering read after a refused body
	// is not part of the request's logged duration. The client address comes
	// before the access log, which records it, and so does the trace, whose
	// id the access log carries.
	r.Use(limitBody(cfg.MaxBodyBytes), requestID, clientip.Middleware(cfg.TrustedProxies))
	if tp != nil {
		r.Use(tracing.Middleware(tp))
	}
	r.Use(accessLog(log, mets.ObserveHTTP), recoverer(log), rest.RoutePath)
	r.Use(corsPolicy(cfg.CORSOrigins))
	// Sessions are cached in memory; a logout anywhere revokes them here at
	// once through LISTEN/NOTIFY on a direct connection, verified by probes
	// sent through the pool (see internal/sessioncache).
	listenCfg, err := dbpool.ListenConfig(dbpool.Options{DirectURL: cfg.DatabaseDirectURL}, pool)
	if err != nil {
		return nil, err
	}
	sessions := sessioncache.New(listenCfg, resolver.LookupSessions, sessioncache.Options{Probe: pool, Logger: log})
	mets.WatchSessionCache(func() metrics.SessionCacheStats { return sessionCacheStats(sessions.Stats()) })
	resolver.Sessions = sessions // a logout here revokes here before it answers
	r.Use(auth.Middleware(tokens, sessions.Lookup, limiter, events))

	pq, closeRedis, err := persistedOperations(log, cfg)
	if err != nil {
		return nil, err
	}
	gql := graph.NewHandler(resolver, log, graph.HandlerOptions{
		Persisted:     pq,
		Introspection: cfg.Introspection,
		MaxBodyBytes:  cfg.MaxBodyBytes,
		Operation:     SetOperation,
		OperationDone: func(_ context.Context, name string, ok bool) { mets.GraphQLOperation(name, ok) },

		MaxResponseBytes: cfg.GraphQLMaxResponseBytes,
		Trace:            graphTrace(tp),
	})
	r.Handle("/graphql", methods(gql, http.MethodGet, http.MethodPost))
	if cfg.Playground {
		pg := playground.New(playground.Options{
			Title: "Users API", Endpoint: "/graphql", Prefix: "/playground",
			Query: PlaygroundDocument, Variables: playgroundVariables, Headers: playgroundHeaders,
		})
		r.Handle("/playground", pg)
		r.Handle("/playground/*", pg)
	}
	r.Get("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, "ok")
	})
	r.Get("/readyz", readyz(pool))
	metricsMux := metricsHandler(cfg, r, mets)

	rest.Routes(r, resolver, log, banner(cfg, pool))
	return &Service{
		Handler: r,
		Metrics: metricsMux,
		Background: []func(context.Context) error{
			func(ctx context.Context) error { sessions.Run(ctx); return nil },
			limiter.Run,
			func(ctx context.Context) error { <-ctx.Done(); return closeRedis() },
		},
	}, nil
}

// persistedOperations builds what resolves persisted operations: the
// trusted documents manifest (TRUSTED_DOCUMENTS), read and validated
// against the schema here so a bad one stops the start; else the APQ store
// (APQ), in process and shared through REDIS_URL when set. closeRedis
// closes the Redis client it opened, if any.
func persistedOperations(log *slog.Logger, cfg config.Config) (ext *persisted.Extension, closeRedis func() error, err error) {
	closeRedis = func() error { return nil }
	ext = &persisted.Extension{}
	switch {
	case cfg.TrustedDocuments != "":
		if ext.Trusted, err = persisted.LoadManifest(cfg.TrustedDocuments, graph.Schema()); err != nil {
			return nil, nil, err
		}
		log.Info("trusted documents: only the manifest's documents run", "path", cfg.TrustedDocuments, "documents", ext.Trusted.Len())
	case cfg.APQ && cfg.RedisURL != "":
		client, err := ratelimit.NewRedisClient(cfg.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		ext.Store = &persisted.Shared{Local: persisted.NewMemory(0), Client: client, Logger: log}
		closeRedis = client.Close
	case cfg.APQ:
		ext.Store = persisted.NewMemory(0)
	}
	return ext, closeRedis, nil
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

// graphTrace is the span per GraphQL operation, or nil when tracing is off.
func graphTrace(tp trace.TracerProvider) graphql.ResponseMiddleware {
	if tp == nil {
		return nil
	}
	return tracing.GraphQL(tp, graph.OperationName)
}
