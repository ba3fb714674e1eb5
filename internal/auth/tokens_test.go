package auth_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/auth"
	"users/internal/config"
)

func newKey(t testing.TB) *fernet.Key {
	t.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	return &k
}

func newTokens(t testing.TB, ttl time.Duration, keys ...*fernet.Key) *auth.Tokens {
	t.Helper()
	tokens, err := auth.NewTokens(keys, legacyKey(t), ttl, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// legacyKey is the legacy app's public key, which the server always names to
// NewTokens.
func legacyKey(t testing.TB) *fernet.Key {
	t.Helper()
	k, err := fernet.DecodeKey(config.LegacyKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// parse returns the sid of a token that Parse accepts.
func parse(tokens *auth.Tokens, tok string) (sid string, ok bool) {
	parsed, _, ok := tokens.Parse(tok)
	return parsed.SID, ok
}

func issue(t testing.TB, tokens *auth.Tokens, sid string) string {
	t.Helper()
	tok, _, err := tokens.Issue(sid)
	if err != nil {
		t.Fatalf("Issue(%q): %v", sid, err)
	}
	return tok
}

// mint signs sid with key at the given time, as some earlier Issue would have.
func mint(t testing.TB, sid string, key *fernet.Key, at time.Time) string {
	t.Helper()
	tok, err := fernet.EncryptAndSignAtTime([]byte(sid), key, at)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func TestNewTokensNoKey(t *testing.T) {
	for _, keys := range [][]*fernet.Key{nil, {}} {
		if _, err := auth.NewTokens(keys, nil, time.Hour, nil); err == nil {
			t.Errorf("NewTokens(%d keys) = nil error, want one", len(keys))
		}
	}
}

func TestTokensRoundTrip(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t, time.Hour, newKey(t))
	for _, sid := range []string{"7403160892", auth.NewSID(), "x", "sid with spaces and ü"} {
		tok := issue(t, tokens, sid)
		got, ok := parse(tokens, tok)
		if !ok || got != sid {
			t.Errorf("Parse(Issue(%q)) = %q, %v; want %q, true", sid, got, ok, sid)
		}
		if again := issue(t, tokens, sid); again == tok {
			t.Errorf("two tokens for %q are equal: no random IV", sid)
		}
	}
}

func TestNewSID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		sid := auth.NewSID()
		if len(sid) != 32 || strings.Trim(sid, "0123456789abcdef") != "" {
			t.Fatalf("NewSID() = %q, want 32 hex digits", sid)
		}
		if seen[sid] {
			t.Fatalf("NewSID() repeated %q", sid)
		}
		seen[sid] = true
	}
}

func TestTokensExpiresAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 19, 19, 3, 505037000, time.FixedZone("CET", 3600))
	clock := func() time.Time { return now }
	key := newKey(t)

	tests := []struct {
		name string
		ttl  time.Duration
		want *time.Time
	}{
		{"never with ttl 0", 0, nil},
		{"ttl 1h", time.Hour, ptr(time.Date(2026, 11, 25, 19, 19, 3, 0, time.UTC))},
		{"ttl 24h", 24 * time.Hour, ptr(time.Date(2026, 11, 26, 18, 19, 3, 0, time.UTC))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, err := auth.NewTokens([]*fernet.Key{key}, nil, tt.ttl, clock)
			if err != nil {
				t.Fatal(err)
			}
			tok, got, err := tokens.Issue("7403160892")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("expiresAt = %v, want nil", *got)
			case tt.want != nil && (got == nil || !got.Equal(*tt.want) || got.Location() != time.UTC):
				t.Errorf("expiresAt = %v, want %v (UTC, whole seconds)", got, *tt.want)
			}
			// The token carries the injected clock's time.
			if ts := fernetTime(t, tok); !ts.Equal(now.Truncate(time.Second)) {
				t.Errorf("token timestamp = %v, want %v", ts, now.Truncate(time.Second))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// fernetTime reads the timestamp of a Fernet token (bytes 1 to 8, big endian).
func fernetTime(t *testing.T, tok string) time.Time {
	t.Helper()
	b, err := base64.URLEncoding.DecodeString(tok)
	if err != nil || len(b) < 9 {
		t.Fatalf("token %q: %v", tok, err)
	}
	var ts int64
	for _, c := range b[1:9] {
		ts = ts<<8 | int64(c)
	}
	return time.Unix(ts, 0)
}

func TestTokensTime(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	now := time.Now()
	tests := []struct {
		name   string
		ttl    time.Duration
		signed time.Time
		want   bool
	}{
		{"fresh", time.Hour, now, true},
		{"59 minutes old", time.Hour, now.Add(-59 * time.Minute), true},
		{"expired", time.Hour, now.Add(-2 * time.Hour), false},
		{"just expired", time.Hour, now.Add(-time.Hour - 5*time.Second), false},
		{"30 s in the future, within clock skew", time.Hour, now.Add(30 * time.Second), true},
		{"2 min in the future, beyond clock skew", time.Hour, now.Add(2 * time.Minute), false},
		{"a day in the future", time.Hour, now.Add(24 * time.Hour), false},
		{"ttl 0 accepts very old", 0, time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"ttl 0 accepts the epoch", 0, time.Unix(0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens := newTokens(t, tt.ttl, key)
			sid, ok := parse(tokens, mint(t, "7403160892", key, tt.signed))
			if ok != tt.want || (ok && sid != "7403160892") {
				t.Errorf("Parse = %q, %v; want ok %v", sid, ok, tt.want)
			}
		})
	}
}

func TestTokensKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newKey(t), newKey(t)
	before := newTokens(t, time.Hour, oldKey)         // before the rotation
	during := newTokens(t, time.Hour, newKey, oldKey) // new key signs, old still verifies
	after := newTokens(t, time.Hour, newKey)          // old key retired
	oldToken := issue(t, before, "oldsid")
	newToken := issue(t, during, "newsid")

	tests := []struct {
		name   string
		tokens *auth.Tokens
		token  string
		want   string // "" means refused
	}{
		{"old token, old key only", before, oldToken, "oldsid"},
		{"old token, old key second", during, oldToken, "oldsid"},
		{"old token, old key removed", after, oldToken, ""},
		{"new token signed by the first key", after, newToken, "newsid"},
		{"new token, new key second", newTokens(t, time.Hour, oldKey, newKey), newToken, "newsid"},
		{"new token, old key only", before, newToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid, ok := parse(tt.tokens, tt.token)
			if ok != (tt.want != "") || sid != tt.want {
				t.Errorf("Parse = %q, %v; want %q", sid, ok, tt.want)
			}
		})
	}
}

func TestTokensMaxLength(t *testing.T) {
	t.Parallel()
	const maxLen = 512
	tokens := newTokens(t, 0, newKey(t))
	var accepted, refused int
	for _, n := range []int{10, 64, 300, 319, 320, 321, 400, 1000} {
		tok := issue(t, tokens, strings.Repeat("s", n))
		want := len(tok) <= maxLen
		if _, ok := parse(tokens, tok); ok != want {
			t.Errorf("Parse of a valid %d-char token (sid of %d) = %v, want %v", len(tok), n, ok, want)
		}
		if want {
			accepted++
		} else {
			refused++
		}
	}
	if accepted == 0 || refused == 0 {
		t.Errorf("%d accepted, %d refused: the lengths do not straddle %d", accepted, refused, maxLen)
	}
}

func TestTokensRefused(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tokens := newTokens(t, 0, key)
	good := issue(t, tokens, "7403160892")
	refused := map[string]string{
		"empty":                  "",
		"garbage":                "not-a-token",
		"truncated":              good[:len(good)-4],
		"half":                   good[:len(good)/2],
		"another key":            issue(t, newTokens(t, 0, newKey(t)), "7403160892"),
		"bearer prefix":          "Bearer " + good,
		"leading space":          " " + good,
		"trailing space":         good + " ",
		"standard base64":        strings.NewReplacer("-", "+", "_", "/").Replace(issueWith(t, tokens, "-_", "7403160892")),
		"version byte changed":   "h" + good[1:],
		"first byte flipped":     string(good[0]^1) + good[1:],
		"middle byte flipped":    good[:50] + string(good[50]^1) + good[51:],
		"second-last flipped":    good[:len(good)-3] + string(good[len(good)-3]^1) + good[len(good)-2:],
		"long garbage":           strings.Repeat("A", 600),
		"valid base64 of zeroes": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	}
	for name, tok := range refused {
		t.Run(name, func(t *testing.T) {
			if sid, ok := parse(tokens, tok); ok {
				t.Errorf("Parse(%q) = %q, true; want refused", tok, sid)
			}
		})
	}
}

// issueWith issues tokens until one contains one of chars (so that changing its
// alphabet changes it).
func issueWith(t *testing.T, tokens *auth.Tokens, chars, sid string) string {
	t.Helper()
	for range 1000 {
		if tok := issue(t, tokens, sid); strings.ContainsAny(tok, chars) {
			return tok
		}
	}
	t.Fatalf("no token with any of %q", chars)
	return ""
}

func TestFromHeader(t *testing.T) {
	const tok = "gAAAAABrBzSn-token_=="
	tests := []struct {
		name, header, want string
	}{
		{"empty", "", ""},
		{"raw", tok, tok},
		{"raw with spaces", "  " + tok + "\t ", tok},
		{"Bearer", "Bearer " + tok, tok},
		{"lower-case bearer", "bearer " + tok, tok},
		{"upper-case bearer", "BEARER " + tok, tok},
		{"several spaces", "Bearer   " + tok, tok},
		{"spaces around", "  Bearer " + tok + "  ", tok},
		{"Bearer alone", "Bearer", "Bearer"},
		{"Bearer and a space", "Bearer ", "Bearer"},
		{"Bearer and spaces", "Bearer    ", "Bearer"},
		{"no space after Bearer", "Bearer" + tok, "Bearer" + tok},
		{"other scheme", "Basic " + tok, "Basic " + tok},
		{"one scheme stripped", "Bearer Bearer " + tok, "Bearer " + tok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.FromHeader(tt.header); got != tt.want {
				t.Errorf("FromHeader(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

// TestTokensCanonicalOnly checks that only the exact text of a token parses.
// fernet-go decodes base64 leniently: it ignores line breaks, anything after
// the padding, and the unused low bits of the last character.
func TestTokensCanonicalOnly(t *testing.T) {
	t.Parallel()
	keys, err := fernet.DecodeKeys(config.LegacyKey)
	if err != nil {
		t.Fatal(err)
	}
	tokens := newTokens(t, 0, keys...)
	alice := loadLegacyTokens(t)[0] // ends in "Ug==": 4 unused bits in "g"
	tok := alice.Token
	if !strings.HasSuffix(tok, "Ug==") {
		t.Fatalf("fixture token %q does not end in Ug==", tok)
	}
	if sid, ok := parse(tokens, tok); !ok || sid != alice.SID {
		t.Fatalf("Parse(fixture) = %q, %v; want %q", sid, ok, alice.SID)
	}
	variants := map[string]string{
		"unused bits set":        strings.TrimSuffix(tok, "g==") + "h==",
		"unused bits all set":    strings.TrimSuffix(tok, "g==") + "v==",
		"padding dropped":        strings.TrimSuffix(tok, "=="),
		"extra padding":          tok + "=",
		"trailing data":          tok + "AAAA",
		"trailing newline":       tok + "\n",
		"trailing CRLF":          tok + "\r\n",
		"newline inside":         tok[:20] + "\n" + tok[20:],
		"carriage return inside": tok[:40] + "\r" + tok[40:],
		"trailing space":         tok + " ",
		"trailing NUL":           tok + "\x00",
	}
	for name, v := range variants {
		t.Run(name, func(t *testing.T) {
			if sid, ok := parse(tokens, v); ok {
				t.Errorf("Parse(%q) = %q, true; want refused", v, sid)
			}
		})
	}
}
