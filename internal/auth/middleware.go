package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"users/internal/apperr"
	"users/internal/secevent"
)

// Principal is who a request acts for: what the resolvers need of an
// authenticated caller, and nothing that could leak (no hash, no token).
type Principal struct {
	UserID int32
	SID    string // the sid the token was minted over: logout rotates it
	// Role is the user's role when the session was looked up. A role change
	// updates the user's row, which revokes cached sessions on every replica
	// (internal/sessioncache), so the next request reads the new role.
	Role Role
}

// Session is what the session lookup knows of a sid: the principal, and the
// SHA-256 of the token the legacy app stored for the user (nil: none), which
// a legacy token must match. The stored token itself stays in the database.
type Session struct {
	Principal
	LegacyTokenSHA256 []byte
}

type ctxKey struct{}

// authResult is what the middleware learnt from the Authorization header.
type authResult struct {
	principal Principal
	err       error // why there is no principal; nil when there is one
}

var errNoToken = apperr.New(apperr.Unauthenticated, "")

// errBadToken covers malformed, forged, expired and revoked tokens alike: telling
// them apart would help whoever is guessing. (The security event says which.)
var errBadToken = apperr.New(apperr.Unauthenticated, "invalid or expired token")

// SessionLookup finds the sessions whose sid is sid (normally one, or none
// once the sid has been rotated by a logout).
type SessionLookup func(ctx context.Context, sid string) ([]Session, error)

// Throttle limits refused tokens per client address (internal/ratelimit).
type Throttle interface {
	// TokenAllowed fails with apperr.RateLimited while the request's client
	// is over its limit of refused tokens. It counts nothing.
	TokenAllowed(ctx context.Context) error
	// TokenRefused counts one refused token for the request's client.
	TokenRefused(ctx context.Context)
}

// Middleware reads the Authorization header (raw token or "Bearer <token>"),
// verifies the token and looks its session up, for GraphQL and REST alike. It
// never rejects a request itself: operations that need a caller ask
// PrincipalFrom, so a bad token does not stop a sign-up.
//
// While the client's address is over its limit of refused tokens (throttle;
// nil: no limit), every token from it is refused with RateLimited without
// being checked, so a guesser past the limit cannot tell a right guess from a
// wrong one. Each refused token is counted by throttle and recorded as one
// security event (events; nil: none).
func Middleware(tokens *Tokens, lookup SessionLookup, throttle Throttle, events *secevent.Emitter) func(http.Handler) http.Handler {
	c := checker{tokens: tokens, lookup: lookup, throttle: throttle, events: events}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			res := c.check(r.Context(), FromHeader(h))
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, res)))
		})
	}
}

type checker struct {
	tokens   *Tokens
	lookup   SessionLookup
	throttle Throttle
	events   *secevent.Emitter
}

// check returns the principal a token stands for, throttled per client
// address.
func (c checker) check(ctx context.Context, token string) authResult {
	if c.throttle != nil {
		if err := c.throttle.TokenAllowed(ctx); err != nil {
			return authResult{err: err}
		}
	}
	res, refusal := authenticate(ctx, c.tokens, c.lookup, token)
	if refusal.Name != "" {
		if c.throttle != nil {
			c.throttle.TokenRefused(ctx)
		}
		c.events.Emit(ctx, refusal)
	}
	return res
}

// authenticate returns the principal a token stands for, or the refusal's
// security event (a zero event when the token was not refused, even if the
// lookup failed).
func authenticate(ctx context.Context, tokens *Tokens, lookup SessionLookup, token string) (authResult, secevent.Event) {
	refused := func(reason string, userID int32) (authResult, secevent.Event) {
		return authResult{err: errBadToken}, secevent.Event{Name: secevent.TokenRefused, Reason: reason, UserID: userID}
	}
	tok, reason, ok := tokens.Parse(token)
	if !ok {
		return refused(reason, 0)
	}
	sessions, err := lookup(ctx, tok.SID)
	if err != nil {
		return authResult{err: apperr.Internalf(err, "look up session")}, secevent.Event{}
	}
	if len(sessions) != 1 {
		// None: revoked by logout. Two: a colliding legacy sid, which must not
		// let one user act as another.
		return refused(secevent.Revoked, 0)
	}
	s := sessions[0]
	if tok.Legacy && !storedLegacyToken(s, token) {
		// Signed with the public key over a real sid, but not the token the
		// legacy app issued: forged.
		return refused(secevent.LegacyMismatch, s.UserID)
	}
	return authResult{principal: s.Principal}, secevent.Event{}
}

// storedLegacyToken reports whether token is, byte for byte, the token the
// legacy app stored for the session's user: their SHA-256 digests are equal
// (compared in constant time). Logout clears the stored token.
func storedLegacyToken(s Session, token string) bool {
	sum := sha256.Sum256([]byte(token))
	return len(s.LegacyTokenSHA256) == sha256.Size && subtle.ConstantTimeCompare(sum[:], s.LegacyTokenSHA256) == 1
}

// WithPrincipal returns a context in which PrincipalFrom returns p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, authResult{principal: p})
}

// PrincipalFrom returns who the request acts for. It fails with
// Unauthenticated when the request had no token or a bad one, RateLimited
// when its client had too many tokens refused, and Internal when the lookup
// failed.
func PrincipalFrom(ctx context.Context) (Principal, error) {
	res, ok := ctx.Value(ctxKey{}).(authResult)
	if !ok {
		return Principal{}, errNoToken
	}
	if res.err != nil {
		return Principal{}, res.err
	}
	return res.principal, nil
}
