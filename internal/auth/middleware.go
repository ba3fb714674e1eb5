package auth

import (
	"context"
	"crypto/subtle"
	"net/http"

	"users/db"
	"users/internal/apperr"
	"users/internal/secevent"
)

type ctxKey struct{}

// session is what the middleware learnt from the Authorization header.
type session struct {
	user db.User
	err  error // why there is no user; nil when user is set
}

var errNoToken = &apperr.Error{Code: apperr.Unauthenticated, Message: "authentication required"}

// errBadToken covers malformed, forged, expired and revoked tokens alike: telling
// them apart would help whoever is guessing. (The security event says which.)
var errBadToken = &apperr.Error{Code: apperr.Unauthenticated, Message: "authentication required", Detail: "invalid or expired token"}

// SessionLookup finds the users whose sid is sid (normally one, or none once the
// sid has been rotated by a logout).
type SessionLookup func(ctx context.Context, sid string) ([]db.User, error)

// Throttle limits refused tokens per client address (internal/ratelimit).
type Throttle interface {
	// TokenAllowed fails with apperr.RateLimited while the request's client
	// is over its limit of refused tokens. It counts nothing.
	TokenAllowed(ctx context.Context) error
	// TokenRefused counts one refused token for the request's client.
	TokenRefused(ctx context.Context)
}

// Middleware reads the Authorization header (raw token or "Bearer <token>"),
// verifies the token and looks its user up, for GraphQL and REST alike. It never
// rejects a request itself: operations that need a user ask UserFrom, so a bad
// token does not stop a sign-up.
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
			s := c.check(r.Context(), FromHeader(h))
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
		})
	}
}

type checker struct {
	tokens   *Tokens
	lookup   SessionLookup
	throttle Throttle
	events   *secevent.Emitter
}

// check returns the session a token opens, throttled per client address.
func (c checker) check(ctx context.Context, token string) session {
	if c.throttle != nil {
		if err := c.throttle.TokenAllowed(ctx); err != nil {
			return session{err: err}
		}
	}
	s, refusal := authenticate(ctx, c.tokens, c.lookup, token)
	if refusal.Name != "" {
		if c.throttle != nil {
			c.throttle.TokenRefused(ctx)
		}
		c.events.Emit(ctx, refusal)
	}
	return s
}

// authenticate returns the session a token opens, or the refusal's security
// event (a zero event when the token was not refused, even if the lookup
// failed).
func authenticate(ctx context.Context, tokens *Tokens, lookup SessionLookup, token string) (session, secevent.Event) {
	refused := func(reason string, userID int32) (session, secevent.Event) {
		return session{err: errBadToken}, secevent.Event{Name: secevent.TokenRefused, Reason: reason, UserID: userID}
	}
	tok, reason, ok := tokens.Parse(token)
	if !ok {
		return refused(reason, 0)
	}
	users, err := lookup(ctx, tok.SID)
	if err != nil {
		return session{err: apperr.Internalf(err, "look up session")}, secevent.Event{}
	}
	if len(users) != 1 {
		// None: revoked by logout. Two: a colliding legacy sid, which must not
		// let one user act as another.
		return refused(secevent.Revoked, 0)
	}
	u := users[0]
	if tok.Legacy && !storedLegacyToken(u, token) {
		// Signed with the public key over a real sid, but not the token the
		// legacy app issued: forged.
		return refused(secevent.LegacyMismatch, u.UserID)
	}
	return session{user: u}, secevent.Event{}
}

// storedLegacyToken reports whether token is, byte for byte, the token the
// legacy app stored for u (compared in constant time). Logout clears it.
func storedLegacyToken(u db.User, token string) bool {
	return u.Token != nil && subtle.ConstantTimeCompare([]byte(*u.Token), []byte(token)) == 1
}

// WithUser returns a context in which UserFrom returns u.
func WithUser(ctx context.Context, u db.User) context.Context {
	return context.WithValue(ctx, ctxKey{}, session{user: u})
}

// UserFrom returns the authenticated user. It fails with Unauthenticated when
// the request had no token or a bad one, RateLimited when its client had too
// many tokens refused, and Internal when the lookup failed.
func UserFrom(ctx context.Context) (db.User, error) {
	s, ok := ctx.Value(ctxKey{}).(session)
	if !ok {
		return db.User{}, errNoToken
	}
	if s.err != nil {
		return db.User{}, s.err
	}
	return s.user, nil
}
