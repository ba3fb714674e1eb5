package validate

import (
	"regexp"
	"unicode/utf8"
)

// The rules on the values of a sign-up or a login, which the resolvers run
// for both transports.

// stringRule is the legacy rule on one string. Lengths are in code points
// (Python's len); pattern "" means no regex rule.
type stringRule struct {
	min, max int
	pattern  string
	re       *regexp.Regexp
}

var (
	usernameRule = stringRule{min: 4, max: 20}
	emailRule    = stringRule{max: 320, pattern: EmailPattern, re: compileLegacy(EmailPattern)}
)

// NewUser checks the values of a sign-up: username 4 to 20 code points; email
// matching EmailPattern and at most 320; the password by policy. It returns
// nil if they are valid.
func NewUser(username, email, password string, policy PasswordPolicy) Problems {
	p := Problems{}
	usernameRule.check(p, "username", username)
	emailRule.check(p, "email", email)
	if msgs := policy.Check(password); len(msgs) > 0 {
		p["password"] = msgs
	}
	return p.orNil()
}

// Login checks login credentials: an empty email or password counts as
// missing (MsgRequired). No length or regex rule applies, as in the legacy
// service. It returns nil if they are valid.
func Login(email, password string) Problems {
	p := Problems{}
	if email == "" {
		p.Add("email", MsgRequired)
	}
	if password == "" {
		p.Add("password", MsgRequired)
	}
	return p.orNil()
}

// check adds the problems of s to field: the regex message followed by a
// length message.
func (r stringRule) check(p Problems, field, s string) {
	for _, msg := range r.messages(s) {
		p.Add(field, msg)
	}
}

// messages returns the problems of s: the regex message, then a length one.
func (r stringRule) messages(s string) []string {
	var msgs []string
	if r.re != nil && !r.re.MatchString(s) {
		msgs = append(msgs, MsgRegex(r.pattern))
	}
	switch n := utf8.RuneCountInString(s); {
	case n < r.min:
		msgs = append(msgs, MsgMinLength(r.min))
	case n > r.max:
		msgs = append(msgs, MsgMaxLength(r.max))
	}
	return msgs
}
