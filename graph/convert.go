package graph

import (
	"time"

	"users/graph/model"
)

// publicUser is the user clients see, from a row's public columns: every
// query a resolver answers with reads only those, so no hash, sid or stored
// token reaches a model.
func publicUser(id int32, username, email string, info []byte, created, modified *time.Time) model.User {
	return model.User{
		UserID:   id,
		Username: username,
		Email:    email,
		Info:     storedInfo(info),
		Created:  timeOrEpoch(created),
		Modified: timeOrEpoch(modified),
	}
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
