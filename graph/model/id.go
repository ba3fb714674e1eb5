package model

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Global IDs (Relay's Object Identification): the base64url text (no
// padding) of "<Type>:<key>", such as "User:7" -> "VXNlcjo3". The type name
// makes an ID unique across every type that implements Node, now and when
// more types join; base64 keeps clients from building or parsing them.
const userType = "User"

// maxGlobalID bounds the text ParseGlobalID decodes: "User:" and an int32
// take 16 bytes, 22 characters in base64.
const maxGlobalID = 64

// UserGlobalID returns the global ID of the user whose user_id is userID.
func UserGlobalID(userID int32) string {
	var buf [len(userType) + 1 + 11]byte // "User:" and an int32; no heap copy
	b := strconv.AppendInt(append(append(buf[:0], userType...), ':'), int64(userID), 10)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseGlobalID splits a global ID into its type name and key; ok is false
// for anything ParseGlobalID's own encoding could not have made.
func ParseGlobalID(id string) (typ, key string, ok bool) {
	if len(id) > maxGlobalID {
		return "", "", false
	}
	b, ok := decodeBase64(id)
	if !ok {
		return "", "", false
	}
	typ, key, ok = strings.Cut(string(b), ":")
	return typ, key, ok && typ != "" && key != ""
}

// ParseUserGlobalID returns the user_id of a user's global ID.
func ParseUserGlobalID(id string) (int32, bool) {
	typ, key, ok := ParseGlobalID(id)
	if !ok || typ != userType {
		return 0, false
	}
	return ParseUserID(key)
}

// ParseUserRef reads what user(id:) takes: a user's global ID, or the legacy
// numeric user_id that id held before global IDs (clients may have kept it).
// The two never collide: no canonical decimal number is the base64 of a
// text starting "User:".
func ParseUserRef(s string) (int32, bool) {
	if id, ok := ParseUserID(s); ok {
		return id, true
	}
	return ParseUserGlobalID(s)
}

// decodeBase64 decodes unpadded base64url text that is exactly what
// encoding gives back: Go's decoder skips newlines, and more than one text
// must not name the same ID or cursor.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawURLEncoding.EncodedLen(len(b)) != len(s) {
		return nil, false
	}
	return b, true
}
