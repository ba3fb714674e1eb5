package ratelimit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"users/internal/apperr"
	"users/internal/config"
	"users/internal/ratelimit"
	"users/internal/secevent"
)

// ipN returns the n-th of many client addresses.
func ipN(n int) string { return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff) }

// TestLimiterRefusedAttemptsTouchNoCounter: an attempt refused by either
// counter creates and counts nothing, so a client over its limit cannot fill
// the store with new emails, nor spend an account's allowance.
func TestLimiterRefusedAttemptsTouchNoCounter(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := ratelimit.NewMemory(0, c.Now)
	l := ratelimit.New(ratelimit.Options{Login: config.Rate{Count: 2, Window: time.Minute}, Store: store, Now: c.Now})
	attacker := from("203.0.113.7")
	for i := range 2 {
		if err := l.Login(attacker, fmt.Sprintf("u%d@example.com", i), true); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	if store.Len() != 3 { // the address and two emails
		t.Fatalf("Len = %d, want 3", store.Len())
	}
	for i := range 100 {
		rateLimited(t, l.Login(attacker, fmt.Sprintf("new%d@example.com", i), true), time.Minute)
	}
	if store.Len() != 3 {
		t.Errorf("Len = %d after 100 refused attempts at new emails, want 3 (no new counters)", store.Len())
	}
	// The refused attempts did not spend the emails' allowance either: u0
	// has had one attempt and gets its second from elsewhere.
	if err := l.Login(from("198.51.100.1"), "new0@example.com", true); err != nil {
		t.Errorf("an email only refused attempts named: %v", err)
	}
	if err := l.Login(from("198.51.100.2"), "u0@example.com", true); err != nil {
		t.Errorf("u0's second attempt: %v", err)
	}
	// An email at its limit refuses a new address without counting it.
	before := store.Len()
	rateLimited(t, l.Login(from("198.51.100.3"), "u0@example.com", true), time.Minute)
	if store.Len() != before {
		t.Errorf("Len = %d, want %d: the refused address got a counter", store.Len(), before)
	}
	// The window still ends a minute after it began, however hard it is hit.
	c.Add(time.Minute)
	if err := l.Login(attacker, "u9@example.com", true); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// TestLimiterFloodKeepsThrottledEmail reproduces the eviction flood: a full
// in-process store, flooded with unique emails from one address and from
// many, must keep the counter of an account at its limit, so that account
// gets no more password checks than the limit allows. The flood names real
// accounts (each gets a counter) or made-up emails (none does).
func TestLimiterFloodKeepsThrottledEmail(t *testing.T) {
	t.Parallel()
	for _, accounts := range []bool{true, false} {
		t.Run(fmt.Sprintf("accounts=%v", accounts), func(t *testing.T) {
			t.Parallel()
			c := newClock()
			const maxKeys, limit = 200, 10
			store := ratelimit.NewMemory(maxKeys, c.Now)
			l := ratelimit.New(ratelimit.Options{Login: config.Rate{Count: limit, Window: time.Minute}, Store: store, Now: c.Now})
			const victim = "victim@example.com"
			checks, next := 0, 0
			tryVictim := func() {
				next++
				if l.Login(from(fmt.Sprintf("192.0.2.%d", next%250)), victim, true) == nil {
					checks++
				}
			}
			for range limit {
				tryVictim()
			}
			for round := range 20 {
				// One address, many unique emails (refused after its first ten).
				for i := range 500 {
					_ = l.Login(from("203.0.113.7"), fmt.Sprintf("one-%d-%d@example.com", round, i), accounts)
				}
				// Many addresses, each using its allowance on unique emails
				// and trying one more: up to 11 new counters per address,
				// 1,100 in all, far more than the store holds. (The store
				// keeps the limit as long as fewer counters than it holds
				// are at their limit at once: here the victim's and the 101
				// addresses'.)
				for a := range 5 {
					for i := range limit + 1 {
						_ = l.Login(from(ipN(round*5+a)), fmt.Sprintf("many-%d-%d-%d@example.com", round, a, i), accounts)
					}
				}
				tryVictim()
				c.Add(time.Second)
			}
			if checks != limit {
				t.Errorf("the throttled account got %d password checks in one window, want %d", checks, limit)
			}
			if store.Len() > maxKeys {
				t.Errorf("Len = %d, over the bound %d", store.Len(), maxKeys)
			}
		})
	}
}

// TestLimiterUnknownEmailsMakeNoCounters: guesses at emails without an
// account are counted per address only, so a flood of them from many
// addresses adds one counter per address and none per email.
func TestLimiterUnknownEmailsMakeNoCounters(t *testing.T) {
	t.Parallel()
	c := newClock()
	store := ratelimit.NewMemory(0, c.Now)
	l := ratelimit.New(ratelimit.Options{Login: config.Rate{Count: 3, Window: time.Minute}, Store: store, Now: c.Now})
	for a := range 50 {
		for i := range 3 {
			if err := l.Login(from(ipN(a)), fmt.Sprintf("nobody-%d-%d@example.com", a, i), false); err != nil {
				t.Fatalf("address %d attempt %d: %v", a, i+1, err)
			}
		}
		rateLimited(t, l.Login(from(ipN(a)), fmt.Sprintf("nobody-%d-x@example.com", a), false), time.Minute)
	}
	if store.Len() != 50 {
		t.Errorf("Len = %d after 200 guesses from 50 addresses, want 50 (one per address)", store.Len())
	}
	// An account's counter is still kept and enforced beside them.
	for i := range 3 {
		if err := l.Login(from(ipN(100+i)), "victim@example.com", true); err != nil {
			t.Fatalf("victim attempt %d: %v", i+1, err)
		}
	}
	rateLimited(t, l.Login(from(ipN(200)), "victim@example.com", true), time.Minute)
}

func TestLimiterToken(t *testing.T) {
	t.Parallel()
	c := newClock()
	var rejected []string
	l := ratelimit.New(ratelimit.Options{
		Token: config.Rate{Count: 3, Window: time.Minute}, Store: ratelimit.NewMemory(0, c.Now), Now: c.Now,
		OnReject: func(action string) { rejected = append(rejected, action) },
	})
	guesser := from("203.0.113.7")
	for i := range 3 {
		if err := l.TokenAllowed(guesser); err != nil {
			t.Fatalf("check %d: %v", i+1, err)
		}
		l.TokenRefused(guesser)
	}
	c.Add(20 * time.Second)
	for range 5 { // asking does not count
		err := l.TokenAllowed(guesser)
		rateLimited(t, err, time.Minute)
		if e := apperr.As(err); e.RetryAfter != 40*time.Second {
			t.Errorf("RetryAfter = %v, want 40s", e.RetryAfter)
		}
	}
	if err := l.TokenAllowed(from("2001:db8:1:2::1")); err != nil {
		t.Errorf("another client: %v", err)
	}
	// IPv6 per /64, as for logins.
	for range 3 {
		l.TokenRefused(from("2001:db8:9:9::1"))
	}
	rateLimited(t, l.TokenAllowed(from("2001:db8:9:9:ffff::2")), time.Minute)
	if len(rejected) != 6 || rejected[0] != ratelimit.ActionToken {
		t.Errorf("OnReject calls = %v, want 6 x token", rejected)
	}
	c.Add(40 * time.Second)
	if err := l.TokenAllowed(guesser); err != nil {
		t.Errorf("after the window: %v", err)
	}
	// Off: nothing is refused or counted.
	off := ratelimit.New(ratelimit.Options{})
	for range 100 {
		off.TokenRefused(guesser)
	}
	if err := off.TokenAllowed(guesser); err != nil {
		t.Errorf("RATE_LIMIT_TOKEN=0: %v", err)
	}
}

// TestLimiterEvents: each refusal is one security event naming the action,
// the client, the counters over their limit and the email's hash, never the
// email itself.
func TestLimiterEvents(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	counts := map[string]int{}
	hasher := secevent.NewEmailHasher([]byte("k"))
	events := secevent.New(slog.New(slog.NewJSONHandler(&logs, nil)), hasher, func(e, r string) { counts[e+"/"+r]++ })
	l := ratelimit.New(ratelimit.Options{
		Login:  config.Rate{Count: 1, Window: time.Minute},
		Signup: config.Rate{Count: 1, Window: time.Minute},
		Token:  config.Rate{Count: 1, Window: time.Minute},
		Events: events,
	})
	ctx := from("203.0.113.7")
	_ = l.Login(ctx, "Victim@Example.com", true)
	_ = l.Login(ctx, "victim@example.com", true)                  // ip and email
	_ = l.Login(from("198.51.100.1"), "victim@example.com", true) // email
	_ = l.Signup(ctx, "spam@example.com")                         // allowed
	_ = l.Signup(ctx, "other@example.com")                        // ip
	l.TokenRefused(ctx)                                           // counted, no event here
	_ = l.TokenAllowed(ctx)                                       // refused
	_ = l.TokenAllowed(context.Background())                      // "unknown" address, allowed
	_ = l.Login(ctx, "fresh@example.com", true)                   // ip

	type ev struct{ Event, Reason, ClientIP, EmailHash, Over string }
	var got []ev
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m struct {
			Msg       string `json:"msg"`
			Level     string `json:"level"`
			Event     string `json:"event"`
			Reason    string `json:"reason"`
			ClientIP  string `json:"client_ip"`
			EmailHash string `json:"email_hash"`
			Over      string `json:"over"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil || m.Msg != "security event" || m.Level != "WARN" {
			t.Fatalf("log line %q (%v): want a WARN security event", line, err)
		}
		got = append(got, ev{m.Event, m.Reason, m.ClientIP, m.EmailHash, m.Over})
	}
	victim := hasher.Hash("victim@example.com")
	want := []ev{
		{"rate_limited", "login", "203.0.113.7", victim, "ip,email"},
		{"rate_limited", "login", "198.51.100.1", victim, "email"},
		{"rate_limited", "signup", "203.0.113.7", hasher.Hash("other@example.com"), "ip"},
		{"rate_limited", "token", "203.0.113.7", "", "ip"},
		{"rate_limited", "login", "203.0.113.7", hasher.Hash("fresh@example.com"), "ip"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}
	if counts["rate_limited/login"] != 3 || counts["rate_limited/signup"] != 1 || counts["rate_limited/token"] != 1 || len(counts) != 3 {
		t.Errorf("counts = %v", counts)
	}
	for _, raw := range []string{"ictim@", "other@", "fresh@", "example.com"} {
		if strings.Contains(logs.String(), raw) {
			t.Errorf("the log holds %q", raw)
		}
	}
}
