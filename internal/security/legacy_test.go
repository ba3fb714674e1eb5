package security_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/apptest"
	"users/internal/config"
)

// takeover is the configuration of a live deployment on a legacy database:
// a fresh key signs, the public legacy key only verifies, tokens live 24 h.
func takeover(t *testing.T) (config.Config, *fernet.Key) {
	t.Helper()
	var fresh fernet.Key
	if err := fresh.Generate(); err != nil {
		t.Fatal(err)
	}
	cfg := apptest.Config()
	cfg.Keys = []*fernet.Key{&fresh, fernet.MustDecodeKeys(config.LegacyKey)[0]}
	cfg.TokenTTL = 24 * time.Hour
	return cfg, &fresh
}

// makeLegacy turns a signed-up user into one the legacy app made: a 10-digit
// sid and the token it stored at sign-up (nil: none stored).
func makeLegacy(t *testing.T, srv *apptest.Server, email, sid string, token *string) {
	t.Helper()
	if _, err := srv.Pool.Exec(t.Context(), `UPDATE "user" SET sid = $1, token = $2 WHERE email = $3`, sid, token, email); err != nil {
		t.Fatal(err)
	}
}

// TestLegacyTokensAfterTakeover: with the legacy key verify-only, a legacy
// user's stored token works however old it is (TOKEN_TTL does not apply to
// it), and nothing else signed with the public key works: not a token forged
// over a real sid, nor one over a guessed sid, nor another user's. Logout
// clears the stored token, which then stops working for good.
func TestLegacyTokensAfterTakeover(t *testing.T) {
	t.Parallel()
	cfg, fresh := takeover(t)
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
	srv := apptest.Start(t, cfg)
	long := time.Date(2019, 5, 1, 12, 0, 0, 0, time.UTC)

	srv.SignUp(t, "alice", "alice1@gmail.com", "test1234")
	srv.SignUp(t, "bob.smith", "bob.smith@mail.co", "test1234")
	srv.SignUp(t, "carol", "carol@example.com", "test1234")
	aliceToken := apptest.MintToken(t, legacy, "7403160892", long)
	bobToken := apptest.MintToken(t, legacy, "1027360898", long)
	makeLegacy(t, srv, "alice1@gmail.com", "7403160892", &aliceToken)
	makeLegacy(t, srv, "bob.smith@mail.co", "1027360898", nil) // no stored token

	if n := strings.Count(srv.Logs.String(), "legacy key in SECRET_KEY: verify-only"); n != 1 {
		t.Errorf("start-up warnings about the legacy key: %d, want 1", n)
	}
	accepted(t, srv, aliceToken, "alice1@gmail.com")
	rec := &recorder{}
	carolSID := srv.SID(t, "carol@example.com")
	for name, token := range map[string]string{
		"forged now over alice's sid":          apptest.MintToken(t, legacy, "7403160892", time.Now()),
		"forged over alice's sid at its time":  apptest.MintToken(t, legacy, "7403160892", long),
		"forged over bob's sid (none stored)":  bobToken,
		"forged over a guessed sid":            apptest.MintToken(t, legacy, "5550001234", time.Now()),
		"forged over a new user's sid":         apptest.MintToken(t, legacy, carolSID, time.Now()),
		"alice's stored token, one char extra": aliceToken + "A",
	} {
		t.Run(name, func(t *testing.T) { refused(t, srv, rec, token) })
	}
	// Our own key's tokens are unaffected, and keep TOKEN_TTL.
	accepted(t, srv, srv.Login(t, "carol@example.com", "test1234"), "carol@example.com")
	refused(t, srv, rec, apptest.MintToken(t, fresh, carolSID, time.Now().Add(-25*time.Hour)))

	// Logout with the legacy token revokes it and clears it.
	if r := doGQL(t, srv, rec, http.Header{"Authorization": {aliceToken}}, `mutation { logout }`, nil); string(r.Field("logout")) != "true" {
		t.Fatalf("logout: %s", r.Body)
	}
	var stored *string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT token FROM "user" WHERE email = 'alice1@gmail.com'`).Scan(&stored); err != nil || stored != nil {
		t.Errorf("stored token after logout = %v (%v), want NULL", stored, err)
	}
	waitRevoked(t, srv, aliceToken, "logout")
	refused(t, srv, rec, aliceToken)
	// Put the old sid back (as a careless operator might): the token still fails.
	makeLegacy(t, srv, "alice1@gmail.com", "7403160892", nil)
	refused(t, srv, rec, aliceToken)
	// A password login gives alice a token of the fresh key.
	accepted(t, srv, srv.Login(t, "alice1@gmail.com", "test1234"), "alice1@gmail.com")

	assertNoSecrets(t, "the log", logLines(srv), withSecrets(map[string]string{"alice's legacy token": aliceToken[20:60]}))
	if !strings.Contains(srv.Logs.String(), `"reason":"legacy_mismatch"`) {
		t.Error("no legacy_mismatch security event in the log")
	}
}

// TestTokenGuessingThrottled: a client guessing tokens (forging legacy
// tokens over 10-digit sids, as in the finding: 300 guesses at once from one
// address) meets RATE_LIMIT_TOKEN: past 30 refused tokens every token it
// sends, even a valid one, is refused with 429 and Retry-After on REST and
// RATE_LIMITED on GraphQL. Other addresses are unaffected.
func TestTokenGuessingThrottled(t *testing.T) {
	t.Parallel()
	cfg, _ := takeover(t)
	cfg.TrustedProxies = 1
	cfg.TokenLimit = config.Rate{Count: 30, Window: time.Minute}
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
	srv := apptest.Start(t, cfg)
	srv.SignUp(t, "guessed", "guessed@example.com", "test1234")
	good := srv.Login(t, "guessed@example.com", "test1234")
	guesser := randomIP()

	const guesses, workers = 300, 8
	type answer struct {
		status     int
		retryAfter string
		body       []byte
	}
	var (
		mu      sync.Mutex
		answers []answer
		wg      sync.WaitGroup
	)
	next := make(chan string)
	for range workers {
		wg.Go(func() {
			for token := range next {
				status, h, body := srv.Do(t, http.MethodGet, "/v1/users", from(guesser, "Authorization", token), "")
				mu.Lock()
				answers = append(answers, answer{status, h.Get("Retry-After"), body})
				mu.Unlock()
			}
		})
	}
	for range guesses {
		next <- apptest.MintToken(t, legacy, fmt.Sprintf("%010d", rand.IntN(1e10)), time.Now())
	}
	close(next)
	wg.Wait()
	statuses := map[int]int{}
	for _, a := range answers {
		statuses[a.status]++
		switch {
		case a.status == http.StatusTooManyRequests && a.retryAfter != "" && strings.Contains(string(a.body), `"code": 429`):
		case a.status == http.StatusUnauthorized && strings.Contains(string(a.body), `"code": 99`):
		default:
			t.Errorf("guess: %d, Retry-After %q, %s; want 401/99 or 429 with Retry-After", a.status, a.retryAfter, a.body)
		}
	}
	if n := statuses[http.StatusUnauthorized]; n < 30 || n > 30+workers {
		t.Errorf("%d guesses checked (401), want 30 (up to %d with %d in flight)", n, 30+workers, workers)
	}
	if statuses[http.StatusTooManyRequests] < guesses-30-workers {
		t.Errorf("%d guesses refused with 429, want at least %d", statuses[http.StatusTooManyRequests], guesses-30-workers)
	}

	// A valid token from the guesser is refused too, unchecked, both ways.
	status, h, env := doREST(t, srv, nil, http.MethodGet, "/v1/users", from(guesser, "Authorization", good), "")
	check429(t, status, h, env, time.Minute)
	r := doGQL(t, srv, nil, from(guesser, "Authorization", "Bearer "+good), `{ me { email } }`, nil)
	if r.Codes()["me"] != "RATE_LIMITED" {
		t.Errorf("GraphQL me from the guesser: %s, want RATE_LIMITED", r.Body)
	}
	// A request that needs no token still works from there.
	if r := doGQL(t, srv, nil, from(guesser, "Authorization", good), loginMutation, map[string]any{"e": "guessed@example.com", "p": "test1234"}); len(r.Errors) > 0 {
		t.Errorf("login from the guesser: %s", r.Body)
	}
	// Another address is not affected.
	status, _, env = doREST(t, srv, nil, http.MethodGet, "/v1/users", from(randomIP(), "Authorization", good), "")
	if status != http.StatusOK {
		t.Errorf("another address: %d %+v, want 200", status, env.Meta)
	}

	// One event per refusal, counted by reason: the 429s, and the three
	// requests above that carried the valid token from the guesser (the
	// login among them: its token was refused, not its login).
	metrics := scrape(t, srv)
	refusedN := metricValue(metrics, `security_events_total{event="token_refused",reason="revoked"}`)
	limitedN := metricValue(metrics, `security_events_total{event="rate_limited",reason="token"}`)
	if refusedN != statuses[http.StatusUnauthorized] || limitedN != statuses[http.StatusTooManyRequests]+3 {
		t.Errorf("metrics: %d refused, %d rate limited; want %d and %d", refusedN, limitedN, statuses[http.StatusUnauthorized], statuses[http.StatusTooManyRequests]+3)
	}
	if n := strings.Count(srv.Logs.String(), `"msg":"security event"`); n != refusedN+limitedN {
		t.Errorf("%d security events logged, want %d", n, refusedN+limitedN)
	}
}

// scrape returns the /metrics text.
func scrape(t *testing.T, srv *apptest.Server) string {
	t.Helper()
	status, _, body := srv.Do(t, http.MethodGet, "/metrics", nil, "")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	return string(body)
}

// metricValue returns the value of the series written exactly as series
// (name and labels in exposition order), 0 when absent.
func metricValue(metrics, series string) int {
	for line := range strings.SplitSeq(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return -1
			}
			return int(n)
		}
	}
	return 0
}
