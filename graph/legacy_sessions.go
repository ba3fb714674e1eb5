package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	pgx "github.com/jackc/pgx/v5"

	"users/db"
	"users/internal/apperr"
	"users/internal/auth"
)

// A user's session is their sid, over which tokens are minted, and, under
// LEGACY_COEXISTENCE, the token the legacy app expects in the token column
// (Fernet with the legacy key over that sid). This file makes and rotates
// sessions in either form.

// maxSIDDraws bounds the draws of a free sid. A random legacy sid is taken
// with probability users/10^10 (under 1% below a hundred million users), so
// this many taken draws in a row mean something else is wrong.
const maxSIDDraws = 8

var errNoFreeSID = fmt.Errorf("no free sid in %d draws", maxSIDDraws)

// newSession returns the sid and stored token of a new session. Under
// LEGACY_COEXISTENCE it is what the legacy app made at sign-up: a 10-digit
// sid and its token over it, so the legacy app can serve the user. Otherwise
// it is a 128-bit sid and no stored token: tokens are minted at login.
func (r *Resolver) newSession() (sid string, token *string, err error) {
	if !r.Coexistence {
		return auth.NewSID(), nil, nil
	}
	sid = r.legacySID()
	tok, err := r.Tokens.IssueLegacy(sid)
	if err != nil {
		return "", nil, err
	}
	return sid, &tok, nil
}

func (r *Resolver) legacySID() string {
	if r.newLegacySID != nil {
		return r.newLegacySID()
	}
	return auth.NewLegacySID()
}

// insertUser stores a new user with a new session, drawing another while
// the sid is taken.
func (r *Resolver) insertUser(ctx context.Context, p db.CreateUserParams) (db.CreateUserRow, error) {
	for range maxSIDDraws {
		sid, token, err := r.newSession()
		if err != nil {
			return db.CreateUserRow{}, apperr.Internalf(err, "create user")
		}
		p.SID, p.Token = sid, token
		row, err := r.queries.CreateUser(ctx, p)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // another user has that sid
		}
		if err != nil {
			return db.CreateUserRow{}, dbError(err, "create user")
		}
		return row, nil
	}
	return db.CreateUserRow{}, apperr.Internalf(errNoFreeSID, "create user")
}

// rotateSession gives the principal's user a new session (a logout): every
// token over the old sid, and the old stored token, stop working here. Under
// LEGACY_COEXISTENCE the new session is in the legacy form, so the user can
// still log in on the legacy app; the legacy app never looks tokens up, so
// the old token keeps working there.
func (r *Resolver) rotateSession(ctx context.Context, p auth.Principal) error {
	for range maxSIDDraws {
		sid, token, err := r.newSession()
		if err != nil {
			return apperr.Internalf(err, "logout")
		}
		n, err := r.queries.RotateSID(ctx, db.RotateSIDParams{NewSID: sid, NewToken: token, UserID: p.UserID, OldSID: p.SID})
		if err != nil {
			return dbError(err, "logout")
		}
		if n == 1 {
			return nil
		}
		taken, err := r.queries.SIDTaken(ctx, sid)
		if err != nil {
			return dbError(err, "logout")
		}
		if !taken {
			return nil // a concurrent logout rotated it first: revoked either way
		}
	}
	return apperr.Internalf(errNoFreeSID, "logout")
}

// loginToken returns the token a login answers with, and when it expires
// (nil: never). Under LEGACY_COEXISTENCE it is the token stored for the user,
// as the legacy app answered, which never expires and works on both
// services; otherwise a fresh one of our key over the user's sid.
func (r *Resolver) loginToken(ctx context.Context, userID int32, sid string) (string, *time.Time, error) {
	if r.Coexistence {
		token, err := r.storedToken(ctx, userID)
		return token, nil, err
	}
	token, expiresAt, err := r.Tokens.Issue(sid)
	if err != nil {
		return "", nil, apperr.Internalf(err, "issue token")
	}
	return token, expiresAt, nil
}

// storedToken returns the token stored for a user who just proved their
// password, as the legacy app's login did, under LEGACY_COEXISTENCE. A user
// without one (signed up here with coexistence off, or logged out then)
// first gets a legacy session: a new 10-digit sid, which ends their sessions
// over the old sid, and the legacy app's token over it.
func (r *Resolver) storedToken(ctx context.Context, userID int32) (string, error) {
	for range maxSIDDraws {
		s, err := r.queries.GetStoredToken(ctx, userID)
		if err != nil {
			return "", dbError(err, "login")
		}
		if s.Token != nil && *s.Token != "" {
			return *s.Token, nil
		}
		sid := r.legacySID()
		token, err := r.Tokens.IssueLegacy(sid)
		if err != nil {
			return "", apperr.Internalf(err, "login")
		}
		n, err := r.queries.StoreToken(ctx, db.StoreTokenParams{NewSID: sid, NewToken: token, UserID: userID, OldSID: s.SID})
		if err != nil {
			return "", dbError(err, "login")
		}
		if n == 1 {
			if r.Sessions != nil {
				r.Sessions.Invalidate(s.SID) // as a logout does: the old sid's tokens end here now
			}
			return token, nil
		}
		// A concurrent login stored a token, a logout rotated the sid, or
		// the new sid is taken: read the row again.
	}
	return "", apperr.Internalf(errNoFreeSID, "login")
}
