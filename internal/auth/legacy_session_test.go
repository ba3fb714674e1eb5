package auth_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/auth"
)

var legacySIDPattern = regexp.MustCompile(`^[0-9]{10}$`)

// TestNewLegacySID: 10 decimal digits, any digit in any place (a leading 0
// too, as shortuuid 0.5 drew them).
func TestNewLegacySID(t *testing.T) {
	t.Parallel()
	const draws = 2000 // a digit missing from a place by chance: 10 × 0.9^2000
	var seen [auth.LegacySIDLen][10]bool
	for range draws {
		sid := auth.NewLegacySID()
		if !legacySIDPattern.MatchString(sid) {
			t.Fatalf("NewLegacySID() = %q, want 10 decimal digits", sid)
		}
		for i, c := range sid {
			seen[i][c-'0'] = true
		}
	}
	for i, digits := range seen {
		for d, ok := range digits {
			if !ok {
				t.Errorf("digit %d never drawn in place %d of %d sids", d, i, draws)
			}
		}
	}
}

// TestIssueLegacy: with the legacy key verify-only, IssueLegacy makes the
// token the legacy app stored: the legacy key over the sid, 100 characters
// for a 10-digit sid, read here as Legacy (so only as the stored token) and
// with no expiry. Without a verify-only legacy key it refuses.
func TestIssueLegacy(t *testing.T) {
	t.Parallel()
	fresh := newKey(t)
	tokens := newTokens(t, time.Hour, fresh, legacyKey(t))
	const sid = "0123456789"
	tok, err := tokens.IssueLegacy(sid)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 100 {
		t.Errorf("len = %d, want 100 (the legacy tokens' length)", len(tok))
	}
	if msg := fernet.VerifyAndDecrypt([]byte(tok), 0, []*fernet.Key{legacyKey(t)}); string(msg) != sid {
		t.Errorf("the legacy key reads %q, want %q", msg, sid)
	}
	if msg := fernet.VerifyAndDecrypt([]byte(tok), 0, []*fernet.Key{fresh}); msg != nil {
		t.Error("our own key verifies it: it was not signed with the legacy key")
	}
	if parsed, _, ok := tokens.Parse(tok); !ok || !parsed.Legacy || parsed.SID != sid {
		t.Errorf("Parse = %+v, %v; want sid %s marked Legacy", parsed, ok, sid)
	}
	// Days later it still parses: TOKEN_TTL is for our own tokens.
	later, err := auth.NewTokens([]*fernet.Key{fresh, legacyKey(t)}, legacyKey(t), time.Hour, func() time.Time { return time.Now().Add(72 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	if _, reason, ok := later.Parse(tok); !ok {
		t.Errorf("three days later: refused (%s)", reason)
	}

	for name, keys := range map[string][]*fernet.Key{
		"legacy key signing": {legacyKey(t), fresh},
		"no legacy key":      {fresh},
	} {
		t.Run(name, func(t *testing.T) {
			if tok, err := newTokens(t, time.Hour, keys...).IssueLegacy(sid); err == nil {
				t.Errorf("IssueLegacy = %q, want an error", tok)
			}
		})
	}
}
