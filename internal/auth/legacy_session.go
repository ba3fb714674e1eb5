package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"

	"github.com/fernet/fernet-go"
)

// LegacySIDLen is the length of a legacy session id: the legacy app's
// UUID_LEN, and the width of its sid column (varchar(10)).
const LegacySIDLen = 10

// legacySIDSpace is how many legacy sids there are: 10 decimal digits.
var legacySIDSpace = big.NewInt(10_000_000_000)

// NewLegacySID returns a session id in the legacy app's format: 10 decimal
// digits (shortuuid over the alphabet 0-9, which made them from os.urandom).
// They are drawn uniformly from the 10^10 of them, leading zeros included, as
// shortuuid 0.5 (the version the legacy app pinned) drew them from the low
// digits of 80 random bits; shortuuid 1.0 takes the leading digits instead.
// That is about 33 bits, so two users can share one: the caller checks that a
// new one is free.
func NewLegacySID() string {
	n, err := rand.Int(rand.Reader, legacySIDSpace)
	if err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return fmt.Sprintf("%0*d", LegacySIDLen, n)
}

// errNoLegacyKey is IssueLegacy's error when the legacy key does not only
// verify: config.Load refuses LEGACY_COEXISTENCE then, so this is a bug.
var errNoLegacyKey = errors.New("tokens: the legacy key is not a verify-only key in SECRET_KEY")

// IssueLegacy returns the token the legacy app stored for a user at sign-up:
// Fernet with the public legacy key over the sid (Fernet(SECRET_KEY).
// encrypt(sid) in its app/utils/auth.py), so the legacy app, which only
// decrypts a token with that key, accepts it. Parse marks it Legacy, so it
// authenticates here only while it is the token stored for its user. It
// fails unless the legacy key is configured verify-only.
func (t *Tokens) IssueLegacy(sid string) (string, error) {
	if t.legacy == nil {
		return "", errNoLegacyKey
	}
	tok, err := fernet.EncryptAndSignAtTime([]byte(sid), t.legacy, t.now())
	if err != nil {
		return "", err
	}
	return string(tok), nil
}
