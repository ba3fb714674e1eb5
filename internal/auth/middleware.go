package auth

import (
	"context"
	"net/http"

	"users/db"
	"users/internal/apperr"
)

type ctxKey struct{}

// session is what the middleware learnt from the Authorization header.
type session struct {
	user db.User
	err  error // why there is no user; nil when user is set
}

var errNoToken = &apperr.Error{Code: apperr.Unauthenticated, Message: "authentication required"}

// errBadToken covers malformed, forged, expired and revoked tokens alike: telling
// them apart would help whoever is guessing.
var errBadToken = &apperr.Error{Code: apperr.Unauthenticated, Message: "authentication required", Detail: "invalid or expired token"}

// SessionLookup finds the users whose sid is sid (normally one, or none once the
// sid has been rotated by a logout).
type SessionLookup func(ctx context.Context, sid string) ([]db.User, error)

// Middleware reads the Authorization header (raw token or "Bearer <token>"),
// verifies the token and looks its user up, for GraphQL and REST alike. It never
// rejects a request itself: operations that need a user ask UserFrom, so a bad
// token does not stop a sign-up.
func Middleware(tokens *Tokens, lookup SessionLookup) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			s := authenticate(r.Context(), tokens, lookup, FromHeader(h))
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)))
		})
	}
}

func authenticate(ctx context.Context, tokens *Tokens, lookup SessionLookup, token string) session {
	sid, ok := tokens.Parse(token)
	if !ok {
		return session{err: errBadToken}
	}
	users, err := lookup(ctx, sid)
	if err != nil {
		return session{err: apperr.Internalf(err, "look up session")}
	}
	if len(users) != 1 {
		// None: revoked by logout. Two: a colliding legacy sid, which must not
		// let one user act as another.
		return session{err: errBadToken}
	}
	return session{user: users[0]}
}

// WithUser returns a context in which UserFrom returns u.
func WithUser(ctx context.Context, u db.User) context.Context {
	return context.WithValue(ctx, ctxKey{}, session{user: u})
}

// UserFrom returns the authenticated user. It fails with Unauthenticated when
// the request had no token or a bad one, and Internal when the lookup failed.
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
