package apptest_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/config"
)

// TestLegacyDecrypt: the tokens the legacy app issued read as their sids,
// and what its cryptography refuses is refused.
func TestLegacyDecrypt(t *testing.T) {
	b, err := os.ReadFile("../auth/testdata/legacy_tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var issued []struct{ SID, Token string }
	if err := json.Unmarshal(b, &issued); err != nil || len(issued) == 0 {
		t.Fatalf("legacy tokens: %v", err)
	}
	for _, lt := range issued {
		if sid, err := apptest.LegacyDecrypt(config.LegacyKey, lt.Token); err != nil || sid != lt.SID {
			t.Errorf("LegacyDecrypt(%s...) = %q, %v; want %q", lt.Token[:12], sid, err, lt.SID)
		}
	}
	good := issued[0].Token
	flip := func(i int) string { // another base64 character at i
		c := byte('A')
		if good[i] == 'A' {
			c = 'B'
		}
		return good[:i] + string(c) + good[i+1:]
	}
	refused := map[string]struct{ key, token string }{
		"another key":             {apptest.NewKey(t), good},
		"signature changed":       {config.LegacyKey, flip(len(good) - 8)},
		"ciphertext changed":      {config.LegacyKey, flip(60)},
		"version byte changed":    {config.LegacyKey, "h" + good[1:]},
		"truncated":               {config.LegacyKey, good[:len(good)-4]},
		"not base64":              {config.LegacyKey, strings.ReplaceAll(good, "A", "*")},
		"empty":                   {config.LegacyKey, ""},
		"the first 12 characters": {config.LegacyKey, good[:12]},
	}
	for name, c := range refused {
		if sid, err := apptest.LegacyDecrypt(c.key, c.token); err == nil {
			t.Errorf("%s: LegacyDecrypt = %q, want an error", name, sid)
		}
	}
}
