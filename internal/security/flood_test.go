package security_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
	"users/internal/config"
)

// aliasedLogins is one GraphQL request with a login per email, aliased a0,
// a1, ... in order.
func aliasedLogins(emails []string, password string) string {
	var q strings.Builder
	q.WriteString("mutation {")
	for i, e := range emails {
		fmt.Fprintf(&q, ` a%d: login(email: %q, password: %q) { token }`, i, e, password)
	}
	q.WriteString(" }")
	return q.String()
}

// TestLoginFloodKeepsThrottledAccount reproduces the eviction flood against
// the in-process store: once an account is at its limit, floods of aliased
// logins at unique emails, from one address and from many, do not flush its
// counter: the account gets no more password checks than RATE_LIMIT_LOGIN
// allows, however its attempts arrive (alone, or aliased among the flood's).
// (The flood's 1,740 made-up emails add no counter: emails without an
// account are counted per address only. internal/ratelimit's flood test
// overflows the store with real accounts' counters.)
func TestLoginFloodKeepsThrottledAccount(t *testing.T) {
	t.Parallel()
	const limit = 10
	cfg := limited(config.Rate{Count: limit, Window: time.Minute}, config.Rate{})
	cfg.RateLimitMaxKeys = 100
	srv := apptest.Start(t, cfg)
	const victim = "victim@example.com"
	srv.SignUp(t, "victim", victim, "right1234")

	checks := 0 // answers to the victim's email other than RATE_LIMITED
	count := func(r apptest.GraphQLResponse, emails []string) {
		t.Helper()
		codes := r.Codes()
		for i, e := range emails {
			c := codes[fmt.Sprint("a", i)]
			if e == victim && c != "RATE_LIMITED" {
				checks++
			}
			if c != "RATE_LIMITED" && c != "USER_NOT_EXISTS" && c != "PASSWORD_NOT_MATCH" && c != "" {
				t.Fatalf("a%d (%s): %s", i, e, r.Body)
			}
		}
	}
	// The account is brought to its limit from ten addresses.
	for range limit {
		count(doGQL(t, srv, nil, from(randomIP()), aliasedLogins([]string{victim}, "wrong1234"), nil), []string{victim})
	}
	if checks != limit {
		t.Fatalf("%d checks before the flood, want %d", checks, limit)
	}

	flooder := randomIP()
	for round := range 60 {
		// One address, 18 unique emails and the victim's, in one request.
		emails := make([]string, 0, 19)
		for i := range 18 {
			emails = append(emails, fmt.Sprintf("one-%d-%d-%s@example.com", round, i, uniq()))
		}
		emails = append(emails, victim)
		count(doGQL(t, srv, nil, from(flooder), aliasedLogins(emails, "right1234"), nil), emails)

		// A fresh address: its allowance on unique emails (10 counters), one
		// more refused, then the victim with the right password.
		emails = emails[:0]
		for i := range limit + 1 {
			emails = append(emails, fmt.Sprintf("many-%d-%d-%s@example.com", round, i, uniq()))
		}
		emails = append(emails, victim)
		count(doGQL(t, srv, nil, from(randomIP()), aliasedLogins(emails, "right1234"), nil), emails)
	}
	// 61 addresses, 1,740 unique emails, and the victim's email tried 120
	// more times.
	if checks != limit {
		t.Errorf("the throttled account got %d password checks, want %d", checks, limit)
	}
}
