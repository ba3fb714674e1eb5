package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
)

// maxTokenLen bounds what is handed to the Fernet parser. A token over a 64-char
// sid is about 160 characters; anything much longer is not ours.
const maxTokenLen = 512

// Tokens mints and checks Fernet tokens over a user's sid, as the legacy app did,
// so its tokens keep working when they were signed with a configured key.
type Tokens struct {
	keys []*fernet.Key // the first signs; all verify
	ttl  time.Duration // 0: never expire
	now  func() time.Time
}

// NewTokens returns a token service. keys must not be empty; ttl 0 means tokens
// never expire. now is the clock (time.Now outside tests).
func NewTokens(keys []*fernet.Key, ttl time.Duration, now func() time.Time) (*Tokens, error) {
	if len(keys) == 0 {
		return nil, errors.New("tokens: no key")
	}
	if now == nil {
		now = time.Now
	}
	return &Tokens{keys: keys, ttl: ttl, now: now}, nil
}

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

// Parse returns the sid inside a token that one of the keys signed and that has
// not expired; ok is false for anything else (malformed, forged, expired,
// signed with a retired key).
func (t *Tokens) Parse(token string) (sid string, ok bool) {
	if token == "" || len(token) > maxTokenLen {
		return "", false
	}
	// fernet-go decodes leniently (trailing data, line breaks, padding bits): only a token's canonical text is that token.
	if b, err := base64.URLEncoding.DecodeString(token); err != nil || base64.URLEncoding.EncodeToString(b) != token {
		return "", false
	}
	// ttl 0 skips fernet-go's age and clock-skew checks: legacy tokens never expired.
	msg := fernet.VerifyAndDecrypt([]byte(token), t.ttl, t.keys)
	if msg == nil {
		return "", false
	}
	return string(msg), true
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
