// Package app wires the service: one chi router holding GraphQL, the
// playground, the legacy REST layer and the operations endpoints, over one
// set of resolvers and one middleware stack. New (this file) builds the
// parts; routes.go lists every route and the middleware in order. It starts
// nothing: internal/server runs what New returns.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"users/graph"
	"users/internal/auth"
	"users/internal/config"
	"users/internal/dbpool"
	"users/internal/metrics"
	"users/internal/persisted"
	"users/internal/ratelimit"
	"users/internal/secevent"
	"users/internal/sessioncache"
	"users/internal/tracing"
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
	passwords, err := auth.NewPasswords(cfg.BcryptCost, cfg.BcryptConcurrency)
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
	r, metricsMux := routes(routeSet{
		log: log, cfg: cfg, pool: pool, tp: tp, mets: mets,
		auth:     auth.Middleware(tokens, sessions.Lookup, limiter, events),
		graphql:  gql,
		resolver: resolver,
	})
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

// graphTrace is the span per GraphQL operation, or nil when tracing is off.
func graphTrace(tp trace.TracerProvider) graphql.ResponseMiddleware {
	if tp == nil {
		return nil
	}
	return tracing.GraphQL(tp, graph.OperationName)
}
