// Package validate checks user input with the rules and messages of the legacy
// Python service (Falcon + cerberus 1.3), so that GraphQL resolvers and the REST
// shim report the same per-field problems the legacy clients already know.
//
// The checks come in two parts, as the two transports need them:
//
//   - The shape of a legacy JSON document (document.go): which keys, which
//     types, no nulls. GraphQL's type system checks the same on its side, so
//     only REST runs these, on the document as decoded.
//   - The rules on the values (rules.go, password.go): lengths, patterns,
//     the password policy. Only the resolvers run these, for both transports,
//     so each rule lives once.
//
// Message order within a field follows the legacy README (regex first, then
// the length rules), not cerberus 1.3, which sorts a field's messages by rule
// name ("min length is 8" before the regex message, as the recorded legacy
// response to {"username":"t","email":"test1@gmail.c","password":"123"} shows).
// The project chose the documented order; clients should accept both.
package validate

import (
	"regexp"
	"strconv"
	"strings"
)

// Problems maps a field name to its messages, in the legacy order. A nil or
// empty Problems means the input is valid.
type Problems map[string][]string

// Add appends msg to field's messages. Like any map write, it panics on a nil
// Problems.
func (p Problems) Add(field, msg string) {
	p[field] = append(p[field], msg)
}

func (p Problems) orNil() Problems {
	if len(p) == 0 {
		return nil
	}
	return p
}

// The fixed legacy messages (cerberus 1.3's BasicErrorHandler texts).
// legacy contract: do not reword.
const (
	// MsgRequired is reported for a missing required field (and, at login,
	// for an empty credential).
	MsgRequired = "required field"
	// MsgUnknown is reported once for each key the schema does not know.
	MsgUnknown = "unknown field"
	// MsgString is reported when a string field holds any other type.
	MsgString = "must be of string type"
	// MsgDict is reported when a dict field (info) holds any other type.
	MsgDict = "must be of dict type"
	// MsgNull is reported when a field is JSON null.
	MsgNull = "null value not allowed"
)

// MsgCommonPassword is the modern policy's message for a password on the
// common-passwords list, worded in the style of the legacy messages.
const MsgCommonPassword = "password is too common"

// The legacy regexes, exactly as the legacy schema wrote them; MsgRegex quotes
// this text. legacy contract: do not change.
const (
	// EmailPattern is the legacy e-mail regex (ASCII only, TLD of 2 to 4 letters).
	EmailPattern = `[a-zA-Z0-9._-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,4}`
	// PasswordPattern is the legacy password regex. Anchored at both ends it
	// allows 4 to 15 characters, so any password of 16 or more characters
	// fails it although the length limit is 64: that is the legacy behaviour.
	PasswordPattern = `[0-9a-zA-Z]\w{3,14}`
)

// MsgMinLength returns the message for a string shorter than n code points.
func MsgMinLength(n int) string { return "min length is " + strconv.Itoa(n) }

// MsgMaxLength returns the message for a string longer than n code points.
func MsgMaxLength(n int) string { return "max length is " + strconv.Itoa(n) }

// MsgRegex returns the message for a string that does not match pattern,
// quoting the pattern text as given.
func MsgRegex(pattern string) string { return "value does not match regex '" + pattern + "'" }

// compileLegacy compiles a cerberus regex for Go. cerberus calls re.match (anchored
// at the start) on the pattern plus "$". Python's \w is Unicode-aware and Go's is
// ASCII only, so \w becomes [\p{L}\p{N}_] (valid for the two patterns above, which
// use \w only outside brackets).
func compileLegacy(pattern string) *regexp.Regexp {
	p := strings.ReplaceAll(pattern, `\w`, `[\p{L}\p{N}_]`)
	// Deliberate departure: \z, not Python's $, which also matches before a final "\n".
	return regexp.MustCompile(`^(?:` + p + `)\z`)
}
