package auth_test

import (
	"maps"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fernet/fernet-go"

	"users/internal/auth"
	"users/internal/config"
	"users/internal/secevent"
)

// fuzzTokens were issued with the legacy key, once, by Tokens.Issue: one over a
// 32-hex sid (its bytes fill whole base64 groups, so it has no padding) and one
// over an empty sid. They are constants because fuzzing runs the target in
// several processes, which must agree on which tokens were issued.
var fuzzTokens = map[string]string{
	"gAAAAABrB0IVyjgpghwh4B86l0bohYXgyJonyAqEHGns6H5gp2jUa-cgTel5P_j6ffW1A6hJvKqV-DJGYHXNajm49iuR4VqllZgSbCcfBHR4UKzoTSgdUjYtmu3_7uZ4ry9CjwyP9Hsc": "3f6c1e0b9a4d4e2f8c7b5a6d9e0f1a2b",
	"gAAAAABrB0IVGzRROfo0dLMncCShGS51OLRwmY11ikeWiA8qAwn8ECVomz3pjQ-qT0Uooy6dtbJJa184jN5BohofZZlXNI785A==":                                         "",
}

// FuzzParseToken checks that Parse never panics and accepts nothing but the
// exact text of a token that was issued: no truncation, extension, bit flip or
// other spelling of a real token parses. The seeds are real tokens (fuzzTokens
// and the legacy app's, over 10-digit sids, which end in "=="), their
// truncations, bit flips and extensions. The same holds with the legacy key
// verify-only (a fresh key first, as in a live takeover), where every
// accepted token must come back marked Legacy, and every refusal must carry
// one of the reasons security events know.
func FuzzParseToken(f *testing.F) {
	key, err := fernet.DecodeKey(config.LegacyKey)
	if err != nil {
		f.Fatal(err)
	}
	// ttl 0: no token is refused for its age, so only its text decides.
	tokens, err := auth.NewTokens([]*fernet.Key{key}, key, 0, nil)
	if err != nil {
		f.Fatal(err)
	}
	// A constant fresh key: the fuzzing processes must agree on it.
	fresh, err := fernet.DecodeKey("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		f.Fatal(err)
	}
	takeover, err := auth.NewTokens([]*fernet.Key{fresh, key}, key, time.Hour, nil)
	if err != nil {
		f.Fatal(err)
	}
	reasons := map[string]bool{secevent.Malformed: true, secevent.Forged: true, secevent.Expired: true}
	issued := maps.Clone(fuzzTokens) // token -> sid
	for _, lt := range loadLegacyTokens(f) {
		issued[lt.Token] = lt.SID
	}

	for tok := range issued {
		f.Add(tok)
		for _, n := range []int{0, 1, len(tok) / 2, len(tok) - 3, len(tok) - 2, len(tok) - 1} {
			f.Add(tok[:n])
		}
		for _, i := range []int{0, 1, 9, 30, len(tok) - 3, len(tok) - 1} {
			for _, bit := range []byte{1, 2, 4, 8, 16, 32} {
				b := []byte(tok)
				b[i] ^= bit
				f.Add(string(b))
			}
		}
		f.Add(tok + "=")
		f.Add(tok + "A")
		f.Add(tok + "\n")
		f.Add(tok[:10] + "\n" + tok[10:])
		f.Add(" " + tok)
		f.Add("Bearer " + tok)
	}
	f.Add(strings.Repeat("A", 600))
	f.Add("gAAAAA")

	f.Fuzz(func(t *testing.T, s string) {
		sid, ok := parse(tokens, s)
		want, wasIssued := issued[s]
		switch {
		case ok && !wasIssued:
			t.Fatalf("Parse(%q) = %q, true: accepted text that Issue never produced", s, sid)
		case wasIssued && (!ok || sid != want):
			t.Fatalf("Parse(issued %q) = %q, %v; want %q, true", s, sid, ok, want)
		}
		tok, reason, ok := takeover.Parse(s)
		switch {
		case ok != wasIssued || (ok && (tok.SID != want || !tok.Legacy)):
			t.Fatalf("verify-only legacy key: Parse(%q) = %+v, %v; want ok %v, sid %q, Legacy", s, tok, ok, wasIssued, want)
		case !ok && !reasons[reason]:
			t.Fatalf("Parse(%q) refused with reason %q", s, reason)
		case ok && reason != "":
			t.Fatalf("Parse(%q) accepted with reason %q", s, reason)
		}
	})
}

// FuzzFromHeader checks that FromHeader never panics, returns a trimmed part of
// its input, and takes the token out of "Bearer <token>" and raw headers alike.
func FuzzFromHeader(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "bearer x", "BEARER   x ", "Bearer Bearer x", "Basic x",
		"gAAAAABrBzSnLZDrGxSjQWxWejsLAiFycK-OWHQFolruphdWne44e-YAhDQmGGWgqSFFmbqagtgugbBiq5PCzMkhWLDxnMPjUg==",
		" \t x \r\n", "Bearer\tx", "bearer\u00a0x", "Bearérx", "\xff\xfe", "Bearer \u2028x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got := auth.FromHeader(h)
		if got != strings.TrimSpace(got) {
			t.Errorf("FromHeader(%q) = %q, not trimmed", h, got)
		}
		if !strings.Contains(h, got) {
			t.Errorf("FromHeader(%q) = %q, not part of the header", h, got)
		}
		if utf8.ValidString(h) && !utf8.ValidString(got) {
			t.Errorf("FromHeader(%q) = %q, cut inside a character", h, got)
		}

		tok := strings.TrimSpace(h)
		if tok == "" {
			return
		}
		// A raw token comes back as it is, unless it starts like a Bearer header.
		if len(tok) <= 7 || !strings.EqualFold(tok[:7], "bearer ") {
			if got != tok {
				t.Errorf("FromHeader(%q) = %q, want the raw token %q", h, got, tok)
			}
		}
		// Any token comes back out of "Bearer <token>", however the scheme is spelt.
		for _, scheme := range []string{"Bearer ", "bearer ", "BEARER   "} {
			if got := auth.FromHeader(scheme + tok); got != tok {
				t.Errorf("FromHeader(%q) = %q, want %q", scheme+tok, got, tok)
			}
		}
	})
}
