package graph

import (
	"encoding/base64"
	"strconv"
	"strings"
)

const cursorPrefix = "user:"

// Cursor returns the opaque pagination cursor that points just after userID.
func Cursor(userID int32) string {
	var buf [len(cursorPrefix) + 11]byte // "user:" and an int32; no heap copy
	return base64.RawURLEncoding.EncodeToString(strconv.AppendInt(append(buf[:0], cursorPrefix...), int64(userID), 10))
}

// parseCursor reads a cursor made by Cursor; ok is false for anything else.
func parseCursor(s string) (userID int32, ok bool) {
	if len(s) > 32 {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	digits, found := strings.CutPrefix(string(b), cursorPrefix)
	if !found {
		return 0, false
	}
	return parseUserID(digits)
}

// parseUserID reads a user id in canonical decimal form ("7", not "+7" or "007").
func parseUserID(s string) (int32, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return int32(n), true
}
