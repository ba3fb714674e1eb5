package validate_test

import (
	"reflect"
	"strings"
	"testing"

	"users/internal/validate"
)

func TestParsePasswordPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    validate.PasswordPolicy
		wantErr bool
	}{
		{"legacy", validate.PasswordLegacy, false},
		{"modern", validate.PasswordModern, false},
		{"", 0, true},
		{"Modern", 0, true},
		{"strict", 0, true},
	}
	for _, tt := range tests {
		got, err := validate.ParsePasswordPolicy(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParsePasswordPolicy(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
	if zero := validate.PasswordPolicy(0); zero != validate.PasswordLegacy {
		t.Errorf("the zero PasswordPolicy is %v, want legacy (the default)", zero)
	}
}

func TestPasswordPolicyCheck(t *testing.T) {
	const (
		legacy = validate.PasswordLegacy
		modern = validate.PasswordModern
	)
	regex := validate.MsgRegex(validate.PasswordPattern)
	tests := []struct {
		name     string
		policy   validate.PasswordPolicy
		password string
		want     []string // nil: accepted
	}{
		// Legacy: 8..64 code points and the legacy pattern (15 at most).
		{"legacy 8", legacy, "test1234", nil},
		{"legacy common but allowed", legacy, "password", nil},
		{"legacy 7", legacy, "test123", []string{"min length is 8"}},
		{"legacy passphrase", legacy, "correct horse battery staple", []string{regex}},
		{"legacy 16", legacy, "abcdefgh12345678", []string{regex}},
		{"legacy 65", legacy, strings.Repeat("a", 65), []string{regex, "max length is 64"}},

		// Modern: 12..128 code points, any characters, not common.
		{"modern 11", modern, "abcdefgh123", []string{"min length is 12"}},
		{"modern 12", modern, "zq8#Lm2!vR4&", nil},
		{"modern legacy-valid 8 refused", modern, "test1234", []string{"min length is 12"}},
		{"modern short common", modern, "password", []string{"min length is 12"}},
		{"modern empty", modern, "", []string{"min length is 12"}},
		{"modern passphrase with spaces", modern, "correct horse battery staple", nil},
		{"modern 16 characters", modern, "a23456789012345_", nil},
		{"modern 128", modern, strings.Repeat("horse ", 21) + "ab", nil},
		{"modern 129", modern, strings.Repeat("horse ", 21) + "abc", []string{"max length is 128"}},
		{"modern counts code points: 11 umlauts", modern, strings.Repeat("ä", 11), []string{"min length is 12"}},
		{"modern counts code points: 12 umlauts (24 bytes)", modern, strings.Repeat("ä", 12), nil},
		{"modern 128 CJK characters (384 bytes)", modern, strings.Repeat("漢字", 64), nil},
		{"modern 129 CJK characters", modern, strings.Repeat("漢字", 64) + "漢", []string{"max length is 128"}},
		{"modern emoji", modern, strings.Repeat("🔑", 12), nil},
		{"modern control characters", modern, "tab\there\nnewline", nil},
		{"modern leading and trailing spaces", modern, "  spaced out pass  ", nil},
		{"modern common", modern, "password1234", []string{validate.MsgCommonPassword}},
		{"modern common, other case", modern, "Password1234", []string{validate.MsgCommonPassword}},
		{"modern common, upper case", modern, "QWERTYUIOP123", []string{validate.MsgCommonPassword}},
		{"modern common with a space is not on the list", modern, "password 1234", nil},
		{"modern 12 spaces", modern, strings.Repeat(" ", 12), nil},

		// A value naming no policy gets the stricter, modern rule.
		{"unknown policy", validate.PasswordPolicy(9), "test1234", []string{"min length is 12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.Check(tt.password); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%v.Check(%q) = %q, want %q", tt.policy, tt.password, got, tt.want)
			}
		})
	}
}

// TestNewUserModern checks that NewUser applies the policy it is given to
// the password and only there.
func TestNewUserModern(t *testing.T) {
	got := validate.NewUser("t", "test1@gmail.c", "password1234", validate.PasswordModern)
	want := validate.Problems{
		"username": {"min length is 4"},
		"email":    {validate.MsgRegex(validate.EmailPattern)},
		"password": {validate.MsgCommonPassword},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NewUser = %q, want %q", got, want)
	}
	if got := validate.NewUser("test1", "test1@gmail.com", "correct horse battery staple", validate.PasswordModern); got != nil {
		t.Errorf("NewUser with a passphrase = %q, want nil", got)
	}
}
