package apptest

import (
	"testing"
	"time"

	"github.com/fernet/fernet-go"
)

// NewKey returns a fresh Fernet key in SECRET_KEY's form.
func NewKey(tb testing.TB) string {
	tb.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		tb.Fatal(err)
	}
	return k.Encode()
}

// MintToken signs sid with key as of time at: the token the service (or the
// legacy app) would have issued then.
func MintToken(tb testing.TB, key *fernet.Key, sid string, at time.Time) string {
	tb.Helper()
	tok, err := fernet.EncryptAndSignAtTime([]byte(sid), key, at)
	if err != nil {
		tb.Fatal(err)
	}
	return string(tok)
}
