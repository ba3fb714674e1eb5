package apptest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fernet/fernet-go"

	"users/internal/config"
)

// legacyKey is the key the legacy app decrypts with (app/config.py).
const legacyKey = config.LegacyKey

// LegacyDecrypt reads a token as the legacy app's decrypt_token did
// (app/utils/auth.py: Fernet(SECRET_KEY).decrypt(token), then
// .decode("utf-8") in its auth middleware), written from the Fernet steps of
// Python's cryptography rather than with fernet-go, which the service
// itself uses: a check of our tokens that does not share our code. Without
// a ttl cryptography checks no time at all. It returns what the legacy app
// took for the user's sid, or an error where it raised InvalidToken.
func LegacyDecrypt(key, token string) (string, error) {
	k, err := base64.URLEncoding.DecodeString(key)
	if err != nil || len(k) != 32 {
		return "", errors.New("not a Fernet key")
	}
	signingKey, encryptionKey := k[:16], k[16:]
	// base64.urlsafe_b64decode; Python's decoder also skips characters
	// outside the alphabet, which the tokens checked here never hold.
	data, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		return "", errors.New("invalid token: not base64")
	}
	// _get_unverified_token_data: version 0x80, then a 64-bit timestamp.
	if len(data) < 9 || data[0] != 0x80 {
		return "", errors.New("invalid token: not Fernet version 0x80")
	}
	// _verify_signature: HMAC-SHA256 under the signing key over all but the last 32 bytes.
	if len(data) < 9+aes.BlockSize+32 {
		return "", errors.New("invalid token: too short")
	}
	body, sig := data[:len(data)-32], data[len(data)-32:]
	mac := hmac.New(sha256.New, signingKey)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return "", errors.New("invalid token: signature")
	}
	// _decrypt_data: AES-128-CBC under the encryption key, iv = data[9:25], then PKCS7.
	iv, ciphertext := data[9:25], data[25:len(data)-32]
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return "", errors.New("invalid token: ciphertext length")
	}
	block, err := aes.NewCipher(encryptionKey)
	if err != nil {
		return "", err
	}
	plain := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ciphertext)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > aes.BlockSize {
		return "", errors.New("invalid token: padding")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return "", errors.New("invalid token: padding")
		}
	}
	plain = plain[:len(plain)-pad]
	if !utf8.Valid(plain) {
		return "", errors.New("not UTF-8: .decode(\"utf-8\") raises")
	}
	return string(plain), nil
}

// StoredSession returns the sid and the stored token (nil: NULL) of the
// user with email, failing the test if there is no such user.
func (s *Server) StoredSession(tb testing.TB, email string) (sid string, token *string) {
	tb.Helper()
	if err := s.Pool.QueryRow(tb.Context(), `SELECT sid, token FROM "user" WHERE email = $1`, email).Scan(&sid, &token); err != nil {
		tb.Fatalf("read the session of %s: %v", email, err)
	}
	return sid, token
}

// CheckLegacySession fails the test unless sid and token are a session as
// the legacy app wrote it: a sid of 10 decimal digits (its UUID_LEN and
// column width) and a token that its decrypt_token reads as that sid.
func CheckLegacySession(tb testing.TB, sid string, token *string) {
	tb.Helper()
	if len(sid) != 10 || strings.Trim(sid, "0123456789") != "" {
		tb.Errorf("sid %q: want 10 decimal digits, as the legacy app made them", sid)
	}
	if token == nil {
		tb.Errorf("no stored token: the legacy app answers a login with \"token\": null")
		return
	}
	if len(*token) > 255 {
		tb.Errorf("stored token of %d characters: the legacy column is varchar(255)", len(*token))
	}
	got, err := LegacyDecrypt(legacyKey, *token)
	if err != nil || got != sid {
		tb.Errorf("the legacy app reads the stored token as %q (%v), want the sid %q", got, err, sid)
	}
}

// CoexistenceConfig is Config() as a canary beside the legacy app runs: a
// fresh key signs, the legacy key only verifies, LEGACY_COEXISTENCE on.
func CoexistenceConfig(tb testing.TB) config.Config {
	tb.Helper()
	cfg := Config()
	cfg.Keys = []*fernet.Key{fernet.MustDecodeKeys(NewKey(tb))[0], fernet.MustDecodeKeys(config.LegacyKey)[0]}
	cfg.LegacyCoexistence = true
	return cfg
}

var ourSID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// CheckSession fails the test unless sid and token are what the service
// stores: with coexistence on, a session as the legacy app wrote it
// (CheckLegacySession); off, nothing of the legacy format (a 128-bit sid in
// hex, no stored token).
func CheckSession(tb testing.TB, email, sid string, token *string, coexist bool) {
	tb.Helper()
	if coexist {
		CheckLegacySession(tb, sid, token)
		return
	}
	if !ourSID.MatchString(sid) || token != nil {
		tb.Errorf("%s: sid %q, stored token %v; want 32 hex digits and NULL", email, sid, token)
	}
}
