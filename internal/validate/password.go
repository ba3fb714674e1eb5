package validate

import (
	"fmt"
	"unicode/utf8"

	"users/internal/commonpasswords"
)

// PasswordPolicy is the rule a new password must pass (PASSWORD_POLICY). It
// applies at sign-up only: a password already stored keeps working whatever
// the policy, since login compares hashes and checks no rule.
type PasswordPolicy uint8

const (
	// PasswordLegacy is the legacy service's rule, the zero value: 8 to 64
	// code points matching PasswordPattern, so letters, digits and "_", 15 at
	// most. It is the default so that legacy clients keep their behaviour.
	PasswordLegacy PasswordPolicy = iota
	// PasswordModern follows OWASP ASVS 2.1 and NIST SP 800-63B: 12 to 128
	// code points, any characters (spaces and any script included), and not
	// on the bundled list of common passwords (package commonpasswords),
	// compared case-folded. bcrypt reads only the first 72 bytes of a
	// password (package auth): longer ones are accepted, and their first 72
	// bytes are what login checks (SECURITY.md says why).
	PasswordModern
)

// The modern policy's length bounds, in code points.
const (
	ModernMinLength = 12
	ModernMaxLength = 128
)

var legacyPasswordRule = stringRule{min: 8, max: 64, pattern: PasswordPattern, re: compileLegacy(PasswordPattern)}

var policyNames = [...]string{PasswordLegacy: "legacy", PasswordModern: "modern"}

// ParsePasswordPolicy reads a policy name: "legacy" or "modern".
func ParsePasswordPolicy(s string) (PasswordPolicy, error) {
	for p, name := range policyNames {
		if s == name {
			return PasswordPolicy(p), nil
		}
	}
	return 0, fmt.Errorf("%q is not legacy or modern", s)
}

func (p PasswordPolicy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("PasswordPolicy(%d)", uint8(p))
}

// Check returns the problems of a new password under p, in the order clients
// see them, or nil. A value that names no policy gets the modern rule, the
// stricter one.
func (p PasswordPolicy) Check(password string) []string {
	if p == PasswordLegacy {
		return legacyPasswordRule.messages(password)
	}
	switch n := utf8.RuneCountInString(password); {
	case n < ModernMinLength:
		return []string{MsgMinLength(ModernMinLength)}
	case n > ModernMaxLength:
		return []string{MsgMaxLength(ModernMaxLength)}
	}
	if commonpasswords.Contains(password) {
		return []string{MsgCommonPassword}
	}
	return nil
}
