package model

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// MaxPageSize caps users(first:) in a GraphQL request, and REST's ?limit=.
// Larger reads page with `after`.
const MaxPageSize = 100

// MaxStreamPage caps users(first:) for a caller without a response budget:
// REST's streamed list, which reads the whole table a page at a time and
// holds one page in memory. A page of 1,000 rather than 100 is one query
// for 1,000 users rather than ten (BENCHMARKS.md, W3).
const MaxStreamPage = 1000

// DefaultPageSize is users(first:) when neither first nor last is given.
const DefaultPageSize = 20

// MaxNodes caps nodes(ids:).
const MaxNodes = 100

const cursorPrefix = "user:"

// UserCursor returns the opaque pagination cursor of the user whose user_id
// is userID: as after, it points just after that user; as before, just
// before.
func UserCursor(userID int32) string {
	var buf [len(cursorPrefix) + 11]byte // "user:" and an int32; no heap copy
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(append(buf[:0], cursorPrefix...), int64(userID), 10))
}

// ParseUserCursor returns the user id a cursor made by UserCursor points
// after; ok is false for anything else.
func ParseUserCursor(s string) (userID int32, ok bool) {
	if len(s) > 32 {
		return 0, false
	}
	b, ok := decodeBase64(s)
	if !ok {
		return 0, false
	}
	id, found := strings.CutPrefix(string(b), cursorPrefix)
	if !found {
		return 0, false
	}
	return ParseUserID(id)
}

// ParseUserID reads a user ID in canonical decimal form ("7", not "+7" or "007").
func ParseUserID(s string) (int32, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return int32(n), true
}
