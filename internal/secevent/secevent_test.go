package secevent_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"users/internal/clientip"
	"users/internal/secevent"
)

// TestEmailHash checks the hash against its definition (HMAC-SHA256 of the
// normalised email under HMAC-SHA256(secret, label), 16 hex digits), worked
// out here with crypto/hmac directly.
func TestEmailHash(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	derive := hmac.New(sha256.New, secret)
	derive.Write([]byte("users/secevent: email_hash"))
	mac := hmac.New(sha256.New, derive.Sum(nil))
	mac.Write([]byte("bob.smith@mail.co"))
	want := hex.EncodeToString(mac.Sum(nil))[:16]

	h := secevent.NewEmailHasher(secret)
	for _, spelling := range []string{"bob.smith@mail.co", "Bob.Smith@Mail.CO", "  bob.smith@mail.co\t"} {
		if got := h.Hash(spelling); got != want {
			t.Errorf("Hash(%q) = %s, want %s", spelling, got, want)
		}
	}
	if got := secevent.NewEmailHasher([]byte("another secret")).Hash("bob.smith@mail.co"); got == want {
		t.Error("two secrets give one hash")
	}
	if h.Hash("alice1@gmail.com") == want {
		t.Error("two emails give one hash")
	}
}

func TestEmit(t *testing.T) {
	var logs bytes.Buffer
	counted := map[string]int{}
	h := secevent.NewEmailHasher([]byte("k"))
	e := secevent.New(slog.New(slog.NewJSONHandler(&logs, nil)), h, func(event, reason string) { counted[event+"/"+reason]++ })
	ctx := clientip.With(context.Background(), "203.0.113.7")

	e.Emit(ctx, secevent.Event{Name: secevent.LoginFailed, Reason: secevent.WrongPassword, Email: "Bob@Example.com", UserID: 7})
	e.Emit(context.Background(), secevent.Event{Name: secevent.RateLimited, Reason: "token", Over: "ip"})

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), logs.String())
	}
	var first, second map[string]any
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil {
		t.Fatalf("not JSON:\n%s", logs.String())
	}
	wantFirst := map[string]any{
		"level": "WARN", "msg": "security event", "event": "login_failed", "reason": "wrong_password",
		"client_ip": "203.0.113.7", "email_hash": h.Hash("bob@example.com"), "user_id": float64(7),
	}
	wantSecond := map[string]any{"level": "WARN", "msg": "security event", "event": "rate_limited", "reason": "token", "over": "ip"}
	for name, c := range map[string]struct{ got, want map[string]any }{"first": {first, wantFirst}, "second": {second, wantSecond}} {
		delete(c.got, "time")
		if len(c.got) != len(c.want) {
			t.Errorf("%s line %v, want exactly %v", name, c.got, c.want)
		}
		for k, v := range c.want {
			if c.got[k] != v {
				t.Errorf("%s line: %s = %v, want %v", name, k, c.got[k], v)
			}
		}
	}
	if strings.Contains(strings.ToLower(logs.String()), "bob@example.com") {
		t.Error("the raw email is in the log")
	}
	if counted["login_failed/wrong_password"] != 1 || counted["rate_limited/token"] != 1 || len(counted) != 2 {
		t.Errorf("counted %v", counted)
	}

	var none *secevent.Emitter
	none.Emit(ctx, secevent.Event{Name: secevent.LoginFailed, Reason: secevent.UnknownEmail}) // records nothing, does not panic
}
