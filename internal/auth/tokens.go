package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/secevent"
)

// maxTokenLen bounds what is handed to the Fernet parser. A token over a 64-char
// sid is about 160 characters; anything much longer is not ours.
const maxTokenLen = 512

// maxClockSkew is how far in the future a token's timestamp may be, as in
// the Fernet specification (and fernet-go).
const maxClockSkew = 60 * time.Second

// Tokens mints and checks Fernet tokens over a user's sid, as the legacy app did,
// so its tokens keep working when they were signed with a configured key.
type Tokens struct {
	keys   []*fernet.Key // ours: the first signs; all verify, within ttl
	legacy *fernet.Key   // the public legacy key when it does not sign: verify-only (see Parse); nil otherwise
	ttl    time.Duration // 0: never expire
	now    func() time.Time
}

// Token is what a verified token holds.
type Token struct {
	SID string
	// Legacy: only the verify-only legacy key signed it. Anyone can sign with
	// that public key, so such a token proves nothing by its signature: it
	// authenticates only as the very token stored for the user at sign-up by
	// the legacy app (the user's token column), which the caller checks.
	Legacy bool
}

// NewTokens returns a token service. keys must not be empty: the first signs,
// all verify. ttl 0 means tokens never expire. now is the clock (time.Now
// outside tests).
//
// legacy is the legacy app's public key (config.LegacyKey), or nil. When it
// is one of keys but not the first, it is verify-only: Parse marks the tokens
// only it verifies as Legacy, and does not apply ttl to them (legacy tokens
// never expired). When it is the first key (the local and dev default) it is
// an ordinary signing key, and anyone can forge a token for a known sid: that
// is for development only, which is why live refuses to sign with it.
func NewTokens(keys []*fernet.Key, legacy *fernet.Key, ttl time.Duration, now func() time.Time) (*Tokens, error) {
	if len(keys) == 0 {
		return nil, errors.New("tokens: no key")
	}
	if now == nil {
		now = time.Now
	}
	t := &Tokens{keys: keys, ttl: ttl, now: now}
	if legacy != nil && *keys[0] != *legacy {
		own := make([]*fernet.Key, 0, len(keys))
		for _, k := range keys {
			if *k == *legacy {
				t.legacy = k
				continue
			}
			own = append(own, k)
		}
		t.keys = own
	}
	return t, nil
}

// LegacyVerifyOnly reports whether the public legacy key is configured as a
// verify-only key (in SECRET_KEY, not first).
func (t *Tokens) LegacyVerifyOnly() bool { return t.legacy != nil }

// Issue returns a token for sid and when it expires (nil when it never does).
func (t *Tokens) Issue(sid string) (token string, expiresAt *time.Time, err error) {
	at := t.now()
	tok, err := fernet.EncryptAndSignAtTime([]byte(sid), t.keys[0], at)
	if err != nil {
		return "", nil, err
	}
	if t.ttl > 0 {
		exp := at.Add(t.ttl).UTC().Truncate(time.Second)
		expiresAt = &exp
	}
	return string(tok), expiresAt, nil
}

// Parse checks a token. It returns what the token holds when one of our keys
// signed it within TOKEN_TTL (no more than a minute in the future), or when
// only the verify-only legacy key signed it, at any time (then Legacy is set
// and the caller must compare the token with the user's stored one).
// Otherwise ok is false and reason says why, as a secevent reason:
// Malformed (not the canonical text of a Fernet token, or too long), Expired
// or Forged (no configured key signed it).
func (t *Tokens) Parse(token string) (tok Token, reason string, ok bool) {
	if token == "" || len(token) > maxTokenLen {
		return Token{}, secevent.Malformed, false
	}
	// fernet-go decodes leniently (trailing data, line breaks, padding bits): only a token's canonical text is that token.
	b, err := base64.URLEncoding.DecodeString(token)
	if err != nil || base64.URLEncoding.EncodeToString(b) != token {
		return Token{}, secevent.Malformed, false
	}
	// One key at a time, to know which one signed it. ttl 0 makes fernet-go
	// check only the signature; the age is checked here, with our clock.
	for _, k := range t.keys {
		msg := fernet.VerifyAndDecrypt([]byte(token), 0, []*fernet.Key{k})
		if msg == nil {
			continue
		}
		if t.ttl > 0 && !t.fresh(b) {
			return Token{}, secevent.Expired, false
		}
		return Token{SID: string(msg)}, "", true
	}
	if t.legacy != nil {
		if msg := fernet.VerifyAndDecrypt([]byte(token), 0, []*fernet.Key{t.legacy}); msg != nil {
			return Token{SID: string(msg), Legacy: true}, "", true
		}
	}
	return Token{}, secevent.Forged, false
}

// fresh reports whether a verified token (its decoded bytes) was signed
// within ttl and not more than maxClockSkew in the future, as Fernet's
// specification has it.
func (t *Tokens) fresh(b []byte) bool {
	signed := time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0)
	now := t.now()
	return !now.After(signed.Add(t.ttl)) && !signed.After(now.Add(maxClockSkew))
}

// NewSID returns a fresh session id: 128 random bits in hex.
func NewSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// FromHeader takes the token out of an Authorization header value: legacy
// clients send it raw, others as "Bearer <token>".
func FromHeader(h string) string {
	h = strings.TrimSpace(h)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		h = strings.TrimSpace(h[7:])
	}
	return h
}
