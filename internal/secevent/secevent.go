// Package secevent records security events: failed logins, refused tokens
// and rate-limit refusals. Each event is one structured log line (msg
// "security event", at warning level) and one increment of a counter, so an
// investigation can follow an attack through the logs and an alert can watch
// its rate.
//
// An event never holds a raw email, token, password or hash. The account an
// event aims at is logged as email_hash: HMAC-SHA256 of the normalised email
// under a key derived from the first SECRET_KEY, cut to 16 hex digits. Every
// replica writes the same hash for one account, an operator who knows an
// email finds its events (`server emailhash EMAIL`), and a reader of the logs
// alone can neither reverse a hash nor test a guessed email against it.
package secevent

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"

	"users/internal/clientip"
)

// Event names: the event attribute and the metric's event label.
const (
	LoginFailed  = "login_failed"  // a wrong password, or an email with no account
	TokenRefused = "token_refused" // an Authorization header that did not authenticate
	RateLimited  = "rate_limited"  // an attempt refused by a rate limit; the reason is the action
)

// Reasons: the reason attribute and label. Each event name has its own few;
// a RateLimited event's reason is the limited action (login, signup, token).
const (
	UnknownEmail  = "unknown_email"  // LoginFailed: no account has this email
	WrongPassword = "wrong_password" // LoginFailed

	Malformed      = "malformed"       // TokenRefused: not the text of a token
	Forged         = "forged"          // TokenRefused: no configured key signed it
	Expired        = "expired"         // TokenRefused: older than TOKEN_TTL, or from the future
	Revoked        = "revoked"         // TokenRefused: its session id is no user's (a logout), or ambiguous
	LegacyMismatch = "legacy_mismatch" // TokenRefused: signed by the public legacy key, and not the user's stored legacy token
)

// Event is one security event.
type Event struct {
	Name   string // LoginFailed, TokenRefused or RateLimited
	Reason string // one of the reasons above, or the limited action
	// Email is the account the attempt aimed at, as the client sent it; it is
	// logged only as email_hash. Empty: no email (a token).
	Email string
	// UserID is the account a token named, when it named one (0: none).
	UserID int32
	// Over names the counters over their limit, for RateLimited: "ip",
	// "email" or "ip,email".
	Over string
}

// Emitter logs and counts events. A nil *Emitter records nothing, so
// components built without one (tests of other things) need no stub.
type Emitter struct {
	log    *slog.Logger
	hasher EmailHasher
	count  func(event, reason string)
}

// New returns an emitter that logs to log (whose handler adds request_id from
// the context) and calls count, when not nil, once per event.
func New(log *slog.Logger, hasher EmailHasher, count func(event, reason string)) *Emitter {
	return &Emitter{log: log, hasher: hasher, count: count}
}

// Emit records ev for the request in ctx: one log line with event, reason,
// client_ip (from clientip) and, when known, email_hash, user_id and over;
// and one count.
func (e *Emitter) Emit(ctx context.Context, ev Event) {
	if e == nil {
		return
	}
	if e.count != nil {
		e.count(ev.Name, ev.Reason)
	}
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("event", ev.Name), slog.String("reason", ev.Reason))
	if ip := clientip.From(ctx); ip != "" {
		attrs = append(attrs, slog.String("client_ip", ip))
	}
	if ev.Email != "" {
		attrs = append(attrs, slog.String("email_hash", e.hasher.Hash(ev.Email)))
	}
	if ev.UserID != 0 {
		attrs = append(attrs, slog.Int("user_id", int(ev.UserID)))
	}
	if ev.Over != "" {
		attrs = append(attrs, slog.String("over", ev.Over))
	}
	e.log.LogAttrs(ctx, slog.LevelWarn, "security event", attrs...)
}

// EmailHasher turns an email into the email_hash of security events.
type EmailHasher struct {
	key []byte
}

// NewEmailHasher derives the hashing key from secret (the first SECRET_KEY's
// 32 bytes), under a label of its own so the key is used for nothing else.
// Rotating the first key changes every hash from then on.
func NewEmailHasher(secret []byte) EmailHasher {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("users/secevent: email_hash"))
	return EmailHasher{key: mac.Sum(nil)}
}

// Hash returns the email_hash of email: 16 hex digits (64 bits) of
// HMAC-SHA256 over NormalizeEmail(email), so "Bob@X.com " and "bob@x.com"
// hash alike.
func (h EmailHasher) Hash(email string) string {
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(mac.Sum(nil))[:16]
}

// NormalizeEmail is the form an email is counted (by the rate limits) and
// hashed (here) under: trimmed and lower-cased, so that "Bob@X.com " and
// "bob@x.com" are one account to both.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}
