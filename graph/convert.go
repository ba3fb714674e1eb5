package graph

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"users/db"
	"users/graph/model"
)

// toUser maps a row to the public user: the hash, the sid and the stored legacy
// token are dropped here, so no resolver can return them.
func toUser(u db.User) *model.User {
	return &model.User{
		ID:       strconv.FormatInt(int64(u.UserID), 10),
		Username: u.Username,
		Email:    u.Email,
		Info:     decodeInfo(u.Info),
		Created:  timeOrEpoch(u.Created),
		Modified: timeOrEpoch(u.Modified),
	}
}

// decodeInfo turns the jsonb column into a map. SQL NULL, the JSON null the legacy
// app stored for "no info", and anything that is not an object are all no info.
// Numbers stay json.Number, so large integers survive the round trip exactly.
func decodeInfo(raw []byte) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}

// encodeInfo is the jsonb value for a user's info: SQL NULL when there is none.
func encodeInfo(info map[string]any) ([]byte, error) {
	if info == nil {
		return nil, nil
	}
	return json.Marshal(info)
}

// timeOrEpoch reads a legacy timestamp column, which is nullable (SQLAlchemy set
// it client-side); a missing one reads as the Unix epoch.
func timeOrEpoch(t *time.Time) time.Time {
	if t == nil {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}
