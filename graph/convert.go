package graph

import (
	"context"
	"time"

	"users/graph/model"
	"users/internal/auth"
)

// viewer is whom an answer is for. Whether they see a user's email and info
// (USER_DIRECTORY) is decided here, in publicUser, and nowhere else: every
// resolver that answers with users makes them with publicUser.
type viewer struct {
	userID  int32
	seesAll bool // the legacy directory, or an admin
}

// viewerOf returns the viewer acting as p.
func (r *Resolver) viewerOf(p auth.Principal) viewer {
	return viewer{userID: p.UserID, seesAll: r.Directory == auth.DirectoryLegacy || p.Role == auth.RoleAdmin}
}

// viewerFrom returns the viewer acting for the request in ctx, or the error
// of a request without a valid token.
func (r *Resolver) viewerFrom(ctx context.Context) (viewer, error) {
	p, err := auth.PrincipalFrom(ctx)
	if err != nil {
		return viewer{}, err
	}
	return r.viewerOf(p), nil
}

// self is the viewer a user is to themselves: the answers of sign-up and
// login, which show the user what they just typed, whatever the token sent
// with the request (if any) says.
func self(userID int32) viewer { return viewer{userID: userID} }

// sees reports whether v may see the email and info of the user whose id is
// userID: their own, or anyone's for an admin or under the legacy directory.
func (v viewer) sees(userID int32) bool { return v.seesAll || v.userID == userID }

// publicUser is the user v sees, from a row's public columns: every query a
// resolver answers with reads only those, so no hash, sid or stored token
// reaches a model. email points into the row, which the user keeps alive:
// no copy per user. For a user v may not see, Email and Info stay nil.
func publicUser(v viewer, id int32, username string, email *string, info []byte, created, modified *time.Time) model.User {
	u := model.User{
		UserID:   id,
		Username: username,
		Created:  timeOrEpoch(created),
		Modified: timeOrEpoch(modified),
	}
	if v.sees(id) {
		u.Email = email
		u.Info = storedInfo(info)
	}
	return u
}

// storedInfo is a user's info from the jsonb column's text. SQL NULL, the
// JSON null the legacy app stored for "no info", and anything that is not an
// object are all no info. jsonb's text starts with its first token, so an
// object starts with '{'.
func storedInfo(text []byte) model.JSONObject {
	if len(text) == 0 || text[0] != '{' {
		return nil
	}
	return text
}

// timeOrEpoch reads a legacy timestamp column, which is nullable (SQLAlchemy set
// it client-side); a missing one reads as the Unix epoch.
func timeOrEpoch(t *time.Time) time.Time {
	if t == nil {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}
