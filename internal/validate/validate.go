// Package validate checks user input with the rules and messages of the legacy
// Python service (Falcon + cerberus 1.3), so that GraphQL resolvers and the REST
// shim report the same per-field problems the legacy clients already know.
//
// It works on a generic JSON-like document: the values encoding/json produces
// when decoding into map[string]any (string, float64 or json.Number, bool, nil,
// map[string]any, []any). Only a Go string is a string (json.Number, which
// stands for a JSON number, is not) and only map[string]any is a dict.
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
	"unicode/utf8"
)

// Problems maps a field name to its messages, in the legacy order. A nil or
// empty Problems means the document is valid.
type Problems map[string][]string

// Add appends msg to field's messages. Like any map write, it panics on a nil
// Problems.
func (p Problems) Add(field, msg string) {
	p[field] = append(p[field], msg)
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

// stringRule is the legacy schema of one required string field. Lengths are
// in code points (Python's len); pattern "" means no regex rule.
type stringRule struct {
	min, max int
	pattern  string
	re       *regexp.Regexp
}

var (
	usernameRule = stringRule{min: 4, max: 20}
	emailRule    = stringRule{max: 320, pattern: EmailPattern, re: compileLegacy(EmailPattern)}
	passwordRule = stringRule{min: 8, max: 64, pattern: PasswordPattern, re: compileLegacy(PasswordPattern)}
)

// compileLegacy compiles a cerberus regex for Go. cerberus calls re.match (anchored
// at the start) on the pattern plus "$". Python's \w is Unicode-aware and Go's is
// ASCII only, so \w becomes [\p{L}\p{N}_] (valid for the two patterns above, which
// use \w only outside brackets).
func compileLegacy(pattern string) *regexp.Regexp {
	p := strings.ReplaceAll(pattern, `\w`, `[\p{L}\p{N}_]`)
	// Deliberate departure: \z, not Python's $, which also matches before a final "\n".
	return regexp.MustCompile(`^(?:` + p + `)\z`)
}

// NewUser checks a sign-up document as the legacy cerberus schema did:
// username, email and password are required strings (4..20 code points; regex
// EmailPattern, at most 320; regex PasswordPattern, 8..64), info is an optional
// dict, and any other key is an unknown field. A null or wrongly typed value
// gets that one message and no other rule runs for the field. It returns nil
// if doc is valid; a nil doc is an empty one.
func NewUser(doc map[string]any) Problems {
	p := Problems{}
	for field, v := range doc {
		switch field {
		case "username":
			usernameRule.check(p, field, v)
		case "email":
			emailRule.check(p, field, v)
		case "password":
			passwordRule.check(p, field, v)
		case "info":
			switch v.(type) {
			case nil:
				p.Add(field, MsgNull)
			case map[string]any:
			default:
				p.Add(field, MsgDict)
			}
		default:
			p.Add(field, MsgUnknown)
		}
	}
	for _, field := range [...]string{"username", "email", "password"} {
		if _, ok := doc[field]; !ok {
			p.Add(field, MsgRequired)
		}
	}
	return p.orNil()
}

// Login checks login credentials: email and password are each a required
// string, and an empty string counts as missing (MsgRequired). No length or
// regex rule applies, and unknown keys are ignored, as in the legacy service.
// It returns nil if doc is valid.
func Login(doc map[string]any) Problems {
	p := Problems{}
	for _, field := range [...]string{"email", "password"} {
		v, ok := doc[field]
		if !ok {
			p.Add(field, MsgRequired)
			continue
		}
		s, msg := asString(v)
		if msg == "" && s == "" {
			msg = MsgRequired
		}
		if msg != "" {
			p.Add(field, msg)
		}
	}
	return p.orNil()
}

// check adds the problems of value v of a present field: a type problem
// alone, or the regex message followed by a length message.
func (r stringRule) check(p Problems, field string, v any) {
	s, msg := asString(v)
	if msg != "" {
		p.Add(field, msg)
		return
	}
	if r.re != nil && !r.re.MatchString(s) {
		p.Add(field, MsgRegex(r.pattern))
	}
	switch n := utf8.RuneCountInString(s); {
	case n < r.min:
		p.Add(field, MsgMinLength(r.min))
	case n > r.max:
		p.Add(field, MsgMaxLength(r.max))
	}
}

// asString returns v as a string, or the message for a null or non-string v.
func asString(v any) (s, msg string) {
	switch v := v.(type) {
	case nil:
		return "", MsgNull
	case string:
		return v, ""
	default:
		return "", MsgString
	}
}

func (p Problems) orNil() Problems {
	if len(p) == 0 {
		return nil
	}
	return p
}
