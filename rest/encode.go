package rest

import (
	"slices"
	"strconv"

	"users/graph/model"
	"users/internal/legacy"
)

// appendUser appends u as the legacy API showed a user, in Python's JSON
// form: {"username", "email", ["token",] "created", "info", "modified"}
// with Unix-second timestamps. There is no user_id (the recorded legacy
// answers have none), and never a hash or a sid; token is the caller's own,
// at login only ("" leaves it out). info is written from its JSON text in
// PostgreSQL's key order, which is the order the legacy app's json.loads
// and json.dumps kept. A user whose email and info are withheld from the
// caller (USER_DIRECTORY=private) has neither key: a null would read as
// "no info", and no legacy user had a null email.
// legacy contract: do not rename or reorder the keys.
func appendUser(b []byte, u *model.User, token string) []byte {
	b = append(b, `{"username": `...)
	b = legacy.AppendString(b, u.Username)
	if !u.Withheld() {
		b = append(b, `, "email": `...)
		b = legacy.AppendString(b, *u.Email)
	}
	if token != "" {
		b = append(b, `, "token": `...)
		b = legacy.AppendString(b, token)
	}
	b = append(b, `, "created": `...)
	b = strconv.AppendInt(b, u.Created.Unix(), 10)
	if !u.Withheld() {
		b = append(b, `, "info": `...)
		b = appendInfo(b, u.Info)
	}
	b = append(b, `, "modified": `...)
	b = strconv.AppendInt(b, u.Modified.Unix(), 10)
	return append(b, '}')
}

// appendInfo appends info in Python's form, null for none. The text comes
// from PostgreSQL, which writes valid JSON; should it not be, the user is
// written with no info rather than with a broken answer.
func appendInfo(b []byte, info model.JSONObject) []byte {
	if info == nil {
		return append(b, "null"...)
	}
	// Python's form is about as long as jsonb's (only non-ASCII grows):
	// room for it at once, so a legacy info of megabytes is not copied
	// through every doubling of the buffer.
	b = slices.Grow(b, len(info)+len(info)/8)
	out, err := legacy.AppendJSON(b, info)
	if err != nil {
		return append(b, "null"...)
	}
	return out
}

// appendNull appends the data of an answer without data, as legacy's
// create wrote it.
func appendNull(b []byte) []byte { return append(b, "null"...) }
