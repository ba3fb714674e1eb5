package auth_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/auth"
	"users/internal/config"
	"users/internal/secevent"
)

// TestTokensLegacyVerifyOnly: the public legacy key signs and verifies like
// any key when it is first (local and dev), and only verifies, marking its
// tokens Legacy and ignoring TOKEN_TTL for them, when another key is first.
func TestTokensLegacyVerifyOnly(t *testing.T) {
	t.Parallel()
	legacy, fresh, other := legacyKey(t), newKey(t), newKey(t)
	now := time.Now()
	years := now.Add(-6 * 365 * 24 * time.Hour)

	devMode := newTokens(t, time.Hour, legacy)
	dev2 := newTokens(t, time.Hour, legacy, fresh)
	takeover := newTokens(t, time.Hour, fresh, legacy)
	takeover3 := newTokens(t, time.Hour, fresh, other, legacy)
	dropped := newTokens(t, time.Hour, fresh)

	type want struct {
		ok     bool
		legacy bool
		reason string
	}
	tests := []struct {
		name   string
		tokens *auth.Tokens
		token  string
		want   want
	}{
		{"legacy first: legacy token, now", devMode, mint(t, "s1", legacy, now), want{ok: true}},
		{"legacy first: legacy token, years old", devMode, mint(t, "s1", legacy, years), want{reason: secevent.Expired}},
		{"legacy first, fresh second: fresh token", dev2, mint(t, "s1", fresh, now), want{ok: true}},
		{"legacy first, fresh second: legacy token", dev2, mint(t, "s1", legacy, now), want{ok: true}},
		{"takeover: fresh token", takeover, mint(t, "s1", fresh, now), want{ok: true}},
		{"takeover: fresh token, expired", takeover, mint(t, "s1", fresh, now.Add(-2*time.Hour)), want{reason: secevent.Expired}},
		{"takeover: legacy token, now", takeover, mint(t, "s1", legacy, now), want{ok: true, legacy: true}},
		{"takeover: legacy token, years old", takeover, mint(t, "s1", legacy, years), want{ok: true, legacy: true}},
		{"takeover: legacy token from the future", takeover, mint(t, "s1", legacy, now.Add(time.Hour)), want{ok: true, legacy: true}},
		{"takeover: unknown key", takeover, mint(t, "s1", other, now), want{reason: secevent.Forged}},
		{"three keys: second key", takeover3, mint(t, "s1", other, now), want{ok: true}},
		{"three keys: legacy last", takeover3, mint(t, "s1", legacy, years), want{ok: true, legacy: true}},
		{"legacy dropped: legacy token", dropped, mint(t, "s1", legacy, now), want{reason: secevent.Forged}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason, ok := tt.tokens.Parse(tt.token)
			if ok != tt.want.ok || got.Legacy != tt.want.legacy || reason != tt.want.reason {
				t.Errorf("Parse = %+v, %q, %v; want legacy %v, reason %q, ok %v", got, reason, ok, tt.want.legacy, tt.want.reason, tt.want.ok)
			}
			if ok && got.SID != "s1" {
				t.Errorf("sid = %q, want s1", got.SID)
			}
		})
	}
	for name, tokens := range map[string]*auth.Tokens{"legacy only": devMode, "legacy first": dev2} {
		if tokens.LegacyVerifyOnly() {
			t.Errorf("%s: LegacyVerifyOnly = true, want false", name)
		}
	}
	for name, tokens := range map[string]*auth.Tokens{"legacy second": takeover, "legacy third": takeover3} {
		if !tokens.LegacyVerifyOnly() {
			t.Errorf("%s: LegacyVerifyOnly = false, want true", name)
		}
	}
	// The legacy key never signs when it is not first.
	tok, _, err := takeover.Issue("s2")
	if err != nil {
		t.Fatal(err)
	}
	if fernet.VerifyAndDecrypt([]byte(tok), 0, []*fernet.Key{legacy}) != nil {
		t.Error("a token issued with the legacy key second was signed with it")
	}
}

// TestTokensRefusalReasons: each refused token says why, for the security
// event (clients see one answer whatever it is).
func TestTokensRefusalReasons(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tokens, err := auth.NewTokens([]*fernet.Key{key}, legacyKey(t), time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	good := mint(t, "s1", key, now)
	flipped := []byte(good)
	flipped[40] = map[bool]byte{true: 'B', false: 'A'}[flipped[40] == 'A'] // still base64, so still canonical
	tests := []struct {
		name, token, reason string
	}{
		{"empty", "", secevent.Malformed},
		{"garbage", "not a token", secevent.Malformed},
		{"too long", good + good + good + good, secevent.Malformed},
		{"not canonical", good + "\n", secevent.Malformed},
		{"another key", mint(t, "s1", newKey(t), now), secevent.Forged},
		{"the legacy key, not in SECRET_KEY", mint(t, "s1", legacyKey(t), now), secevent.Forged},
		{"one character changed", string(flipped), secevent.Forged},
		{"an hour and a second old", mint(t, "s1", key, now.Add(-time.Hour-time.Second)), secevent.Expired},
		{"two minutes ahead", mint(t, "s1", key, now.Add(2*time.Minute)), secevent.Expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, reason, ok := tokens.Parse(tt.token)
			if ok || reason != tt.reason {
				t.Errorf("Parse = %q, %v; want %q, false", reason, ok, tt.reason)
			}
		})
	}
	// The injected clock decides: the same token is fresh an hour earlier.
	if _, reason, ok := tokens.Parse(mint(t, "s1", key, now.Add(-59*time.Minute))); !ok {
		t.Errorf("59 minutes old by the injected clock: refused (%s)", reason)
	}
}

// legacyToken is one token the legacy app issued, from testdata (copied from
// legacy/fixtures/users.json and the sids of legacy/fixtures/legacy.sql).
type legacyToken struct {
	Email string `json:"email"`
	SID   string `json:"sid"`
	Token string `json:"token"`
}

func loadLegacyTokens(t testing.TB) []legacyToken {
	t.Helper()
	b, err := os.ReadFile("testdata/legacy_tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []legacyToken
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("%d legacy tokens, want 3", len(out))
	}
	return out
}

func TestLegacyTokens(t *testing.T) {
	t.Parallel()
	keys, err := fernet.DecodeKeys(config.LegacyKey)
	if err != nil {
		t.Fatal(err)
	}
	legacy := newTokens(t, 0, keys...)
	rotated := newTokens(t, 0, newKey(t), keys[0])
	retired := newTokens(t, 0, newKey(t))
	for _, lt := range loadLegacyTokens(t) {
		t.Run(lt.Email, func(t *testing.T) {
			if sid, ok := parse(legacy, lt.Token); !ok || sid != lt.SID {
				t.Errorf("legacy key: Parse = %q, %v; want %q", sid, ok, lt.SID)
			}
			if tok, _, ok := rotated.Parse(lt.Token); !ok || tok.SID != lt.SID || !tok.Legacy {
				t.Errorf("legacy key second: Parse = %+v, %v; want %q, marked Legacy", tok, ok, lt.SID)
			}
			if sid, ok := parse(retired, lt.Token); ok {
				t.Errorf("legacy key removed: Parse = %q, true; want refused", sid)
			}
			if got := auth.FromHeader(lt.Token); got != lt.Token {
				t.Errorf("FromHeader(raw legacy token) = %q", got)
			}
		})
	}
}
