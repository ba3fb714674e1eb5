// Package graph is the service layer: gqlgen resolvers over sqlc queries. The
// REST compatibility layer calls these same resolvers, so every rule
// (validation, hashing, tokens, queries) lives here once.
package graph

import (
	"context"
	"log/slog"

	"users/db"
	"users/internal/auth"
	"users/internal/secevent"
	"users/internal/validate"
)

// Resolver holds the dependencies of every resolver; it is built once at
// start, by NewResolver.
type Resolver struct {
	Logger    *slog.Logger
	Passwords *auth.Passwords
	Tokens    *auth.Tokens
	Limits    Limits
	// PasswordPolicy is the rule new passwords must pass (PASSWORD_POLICY);
	// the zero value is the legacy rule.
	PasswordPolicy validate.PasswordPolicy
	// Events records failed logins (nil: none).
	Events *secevent.Emitter
	// Directory is who sees whose email and info (USER_DIRECTORY); the
	// zero value is the legacy directory, where everyone sees everyone's.
	Directory auth.Directory
	// InfoMaxBytes bounds a new user's info as stored (INFO_MAX_BYTES;
	// validate.DefaultInfoMaxBytes when 0).
	InfoMaxBytes int
	// Sessions, when set, hears of a logout before the answer goes out, so
	// this replica never serves the old token from memory again; other
	// replicas hear of it from PostgreSQL (internal/sessioncache).
	Sessions SessionCache
	// Coexistence is LEGACY_COEXISTENCE: sign-up, login and logout keep each
	// user's row one the legacy app can serve (graph/legacy_sessions.go).
	// Tokens must then hold the legacy key, verify-only.
	Coexistence bool

	queries      *db.Queries   // the resolvers are the only code that runs SQL
	newLegacySID func() string // nil: auth.NewLegacySID (tests draw taken sids)
}

// NewResolver returns the resolvers with the dependencies in deps, running
// their queries on pool (a pgx pool, or any db.DBTX).
func NewResolver(pool db.DBTX, deps Resolver) *Resolver {
	deps.queries = db.New(pool)
	return &deps
}

// SessionCache is the in-memory session cache (internal/sessioncache).
type SessionCache interface {
	// Invalidate forgets the session with this sid.
	Invalidate(sid string)
}

// Limits throttles the actions that guessing and spam go through. Each call
// counts one attempt and fails with apperr.RateLimited over the limit.
type Limits interface {
	// Login's account says whether email belongs to an account: only then
	// is the attempt also counted per email.
	Login(ctx context.Context, email string, account bool) error
	Signup(ctx context.Context, email string) error
}

// NoLimits lets everything through (RATE_LIMIT_*=0, and tests of other things).
type NoLimits struct{}

// Login allows every attempt.
func (NoLimits) Login(context.Context, string, bool) error { return nil }

// Signup allows every attempt.
func (NoLimits) Signup(context.Context, string) error { return nil }
