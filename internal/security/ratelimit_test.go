package security_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/ratelimit/redistest"
)

const loginMutation = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`

const signupMutation = `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`

// check429 checks a REST answer over the limit: HTTP 429, the envelope's
// code 429 "Too Many Requests", and a Retry-After within the window.
func check429(t *testing.T, status int, h http.Header, env apptest.Envelope, window time.Duration) {
	t.Helper()
	if status != http.StatusTooManyRequests || env.Meta.Code != 429 || env.Meta.Message != "Too Many Requests" {
		t.Fatalf("got %d %+v, want 429 with meta 429 Too Many Requests", status, env.Meta)
	}
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 1 || secs > int(window.Seconds()) {
		t.Errorf("Retry-After = %q, want whole seconds in [1, %d]", h.Get("Retry-After"), int(window.Seconds()))
	}
}

// TestLoginRateLimitPerIPOverREST: one client trying many accounts is
// stopped at RATE_LIMIT_LOGIN, whichever way it sends credentials; other
// clients are not.
func TestLoginRateLimitPerIPOverREST(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 3, Window: time.Minute}
	srv := apptest.Start(t, limited(rate, config.Rate{}))
	attacker := randomIP()

	form := from(attacker, "Content-Type", "application/x-www-form-urlencoded")
	jsonBody := from(attacker, "Content-Type", "application/json")
	attempts := []func(i int) (int, http.Header, apptest.Envelope){
		func(i int) (int, http.Header, apptest.Envelope) {
			return doREST(t, srv, nil, http.MethodGet, restLoginQuery(fmt.Sprintf("u%d@example.com", i), "guess1234"), from(attacker), "")
		},
		func(i int) (int, http.Header, apptest.Envelope) {
			return doREST(t, srv, nil, http.MethodPost, "/v1/users/self/login", form, fmt.Sprintf("email=u%d%%40example.com&password=guess1234", i))
		},
		func(i int) (int, http.Header, apptest.Envelope) {
			return doREST(t, srv, nil, http.MethodGet, "/v1/users/self/login", jsonBody, fmt.Sprintf(`{"email": "u%d@example.com", "password": "guess1234"}`, i))
		},
	}
	for i, attempt := range attempts {
		if status, _, env := attempt(i); status != http.StatusNotFound || env.Meta.Code != 21 {
			t.Fatalf("attempt %d: %d %+v, want 404/21", i+1, status, env.Meta)
		}
	}
	for i, attempt := range attempts {
		status, h, env := attempt(10 + i)
		check429(t, status, h, env, rate.Window)
	}
	// Sign-up is another action; another client has its own counter.
	if status, _, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery("u1@example.com", "guess1234"), from(randomIP()), ""); status != http.StatusNotFound {
		t.Errorf("another client: %d %+v, want 404", status, env.Meta)
	}
	status, _, env := doREST(t, srv, nil, http.MethodPost, "/v1/users", jsonBody, `{"username": "okuser", "email": "ok@example.com", "password": "test1234"}`)
	if status != http.StatusOK {
		t.Errorf("sign-up from the limited client: %d %+v, want 200", status, env.Meta)
	}
	// The rejections went to the metrics hook (when /metrics is served here).
	if code, _, body := srv.Do(t, http.MethodGet, "/metrics", nil, ""); code == http.StatusOK &&
		!strings.Contains(string(body), `rate_limit_rejections_total{action="login"} 3`) {
		t.Errorf("metrics do not show 3 login rejections:\n%.3000s", body)
	}
}

// TestLoginRateLimitPerEmailOverGraphQL: many clients (a botnet) trying one
// account are stopped at RATE_LIMIT_LOGIN for that account; other accounts
// are not. Emails are matched exactly, as legacy did, so other spellings
// reach no account and no password check: they are counted per address
// only, never against the account (nor do they make counters of their own).
func TestLoginRateLimitPerEmailOverGraphQL(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 3, Window: time.Minute}
	srv := apptest.Start(t, limited(rate, config.Rate{}))
	srv.SignUp(t, "victim", "victim@example.com", "right1234")

	for _, email := range []string{"Victim@Example.com", " VICTIM@example.com", "nobody@example.com"} {
		r := doGQL(t, srv, nil, from(randomIP()), loginMutation, map[string]any{"e": email, "p": "wrong1234"})
		if c := r.Codes()["login"]; c != "USER_NOT_EXISTS" {
			t.Fatalf("%q: %s, want USER_NOT_EXISTS", email, r.Body)
		}
	}
	for i := range rate.Count {
		r := doGQL(t, srv, nil, from(randomIP()), loginMutation, map[string]any{"e": "victim@example.com", "p": "wrong1234"})
		if c := r.Codes()["login"]; c != "PASSWORD_NOT_MATCH" {
			t.Fatalf("attempt %d: %s, want PASSWORD_NOT_MATCH", i+1, r.Body)
		}
	}
	r := doGQL(t, srv, nil, from(randomIP()), loginMutation, map[string]any{"e": "victim@example.com", "p": "right1234"})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "RATE_LIMITED" {
		t.Fatalf("fourth attempt: %s, want RATE_LIMITED", r.Body)
	}
	if lc, _ := r.Errors[0].Extensions["legacyCode"].(float64); lc != 429 {
		t.Errorf("legacyCode = %v, want 429", r.Errors[0].Extensions["legacyCode"])
	}
	// The retry delay in whole seconds, as REST's Retry-After: within the window.
	if s, _ := r.Errors[0].Extensions["retryAfter"].(float64); s < 1 || s > rate.Window.Seconds() {
		t.Errorf("extensions.retryAfter = %v, want 1 to %v seconds", r.Errors[0].Extensions["retryAfter"], rate.Window.Seconds())
	}
	// REST sees the same counter.
	status, h, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery("victim@example.com", "right1234"), from(randomIP()), "")
	check429(t, status, h, env, rate.Window)

	srv.SignUp(t, "other", "other@example.com", "right1234")
	r = doGQL(t, srv, nil, from(randomIP()), loginMutation, map[string]any{"e": "other@example.com", "p": "right1234"})
	if len(r.Errors) != 0 {
		t.Errorf("another account: %s", r.Body)
	}
}

// TestSignupRateLimit: sign-up spam from one client is stopped at
// RATE_LIMIT_SIGNUP over REST and GraphQL alike; so is hammering one email.
func TestSignupRateLimit(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 2, Window: time.Hour}
	srv := apptest.Start(t, limited(config.Rate{}, rate))
	spammer := randomIP()
	h := from(spammer, "Content-Type", "application/json")

	for i := range 2 {
		body := fmt.Sprintf(`{"username": "spam%d", "email": "spam%d@example.com", "password": "test1234"}`, i, i)
		if status, _, env := doREST(t, srv, nil, http.MethodPost, "/v1/users", h, body); status != http.StatusOK {
			t.Fatalf("sign-up %d: %d %+v", i+1, status, env.Meta)
		}
	}
	status, hdr, env := doREST(t, srv, nil, http.MethodPost, "/v1/users", h, `{"username": "spam9", "email": "spam9@example.com", "password": "test1234"}`)
	check429(t, status, hdr, env, rate.Window)
	r := doGQL(t, srv, nil, from(spammer), signupMutation, map[string]any{"in": map[string]any{"username": "spam8", "email": "spam8@example.com", "password": "test1234"}})
	if r.Codes()["createUser"] != "RATE_LIMITED" {
		t.Fatalf("GraphQL sign-up from the spammer: %s, want RATE_LIMITED", r.Body)
	}
	var n int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n); err != nil || n != 2 {
		t.Errorf("users stored = %d (%v), want 2", n, err)
	}

	// One email from many clients: the sign-up above, a duplicate, then limited.
	in := map[string]any{"username": "taken", "email": "Spam0@Example.com", "password": "test1234"}
	r = doGQL(t, srv, nil, from(randomIP()), signupMutation, map[string]any{"in": in})
	if c := r.Codes()["createUser"]; c != "DUPLICATE" && c != "" {
		t.Fatalf("second sign-up for spam0@example.com: %s, want DUPLICATE or success", r.Body)
	}
	r = doGQL(t, srv, nil, from(randomIP()), signupMutation, map[string]any{"in": in})
	if r.Codes()["createUser"] != "RATE_LIMITED" {
		t.Errorf("third sign-up for spam0@example.com: %s, want RATE_LIMITED", r.Body)
	}
}

// TestRateLimitIgnoresSpoofedForwardedFor: a client cannot escape its
// counter by inventing X-Forwarded-For entries. Behind one proxy only the
// entry that proxy appended counts; with no proxy configured, the header is
// ignored altogether.
func TestRateLimitIgnoresSpoofedForwardedFor(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 2, Window: time.Minute}
	t.Run("one trusted proxy", func(t *testing.T) {
		t.Parallel()
		srv := apptest.Start(t, limited(rate, config.Rate{}))
		client := randomIP()
		for i := range 3 {
			// The client sent "X-Forwarded-For: <forged>"; the proxy appended its address.
			h := http.Header{"X-Forwarded-For": {randomIP() + ", 127.0.0.1", client}}
			status, hdr, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery(fmt.Sprintf("s%d@example.com", i), "guess1234"), h, "")
			if i < 2 && status != http.StatusNotFound {
				t.Fatalf("attempt %d: %d %+v", i+1, status, env.Meta)
			}
			if i == 2 {
				check429(t, status, hdr, env, rate.Window)
			}
		}
	})
	t.Run("no proxy", func(t *testing.T) {
		t.Parallel()
		cfg := limited(rate, config.Rate{})
		cfg.TrustedProxies = 0
		srv := apptest.Start(t, cfg)
		for i := range 3 {
			status, hdr, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery(fmt.Sprintf("n%d@example.com", i), "guess1234"), from(randomIP()), "")
			if i < 2 && status != http.StatusNotFound {
				t.Fatalf("attempt %d: %d %+v", i+1, status, env.Meta)
			}
			if i == 2 {
				check429(t, status, hdr, env, rate.Window)
			}
		}
	})
}

// TestLoginAliasFlood: aliased login fields in one GraphQL request are
// counted one by one, as separate attempts. Twenty at once is over the
// complexity limit and refused before any of them runs.
func TestLoginAliasFlood(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 10, Window: time.Minute}
	srv := apptest.Start(t, limited(rate, config.Rate{}))
	client := randomIP()
	flood := func(n int) string {
		var q strings.Builder
		q.WriteString("mutation {")
		for i := range n {
			fmt.Fprintf(&q, ` a%d: login(email: "f%d@example.com", password: "guess1234") { token }`, i, i)
		}
		q.WriteString(" }")
		return q.String()
	}

	r := doGQL(t, srv, nil, from(client), flood(20), nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "COMPLEXITY_LIMIT_EXCEEDED" || r.HasData() {
		t.Fatalf("20 aliased logins: %s, want one COMPLEXITY_LIMIT_EXCEEDED and no data", r.Body)
	}

	// 19 fit: the first 10 are attempts (the refused request counted none),
	// the other 9 are over the limit.
	r = doGQL(t, srv, nil, from(client), flood(19), nil)
	codes := r.Codes()
	limitedN, tried := 0, 0
	for i := range 19 {
		switch c := codes[fmt.Sprint("a", i)]; c {
		case "RATE_LIMITED":
			limitedN++
		case "USER_NOT_EXISTS":
			tried++
			if limitedN > 0 {
				t.Errorf("a%d ran after a refusal: mutations run in order", i)
			}
		default:
			t.Errorf("a%d: %q", i, c)
		}
	}
	if tried != 10 || limitedN != 9 {
		t.Errorf("%d attempts ran and %d were refused, want 10 and 9: %s", tried, limitedN, r.Body)
	}
	// Counted across requests too: a single login is now refused.
	r = doGQL(t, srv, nil, from(client), loginMutation, map[string]any{"e": "single@example.com", "p": "guess1234"})
	if r.Codes()["login"] != "RATE_LIMITED" {
		t.Errorf("login after the flood: %s", r.Body)
	}
}

// TestRateLimitSharedThroughRedis: two replicas (two servers, one database,
// one Redis) share one counter per client and per email.
func TestRateLimitSharedThroughRedis(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 4, Window: time.Minute}
	cfg := limited(rate, config.Rate{Count: 2, Window: time.Hour})
	cfg.RedisURL = redistest.URL(t)
	a := apptest.Start(t, cfg)
	b := apptest.StartOn(t, cfg, a.Pool)
	replicas := []*apptest.Server{a, b}

	// Unique addresses and emails: other tests share this Redis.
	client := randomIP()
	for i := range 4 {
		srv := replicas[i%2]
		status, _, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery(fmt.Sprintf("r%d-%s@example.com", i, uniq()), "guess1234"), from(client), "")
		if status != http.StatusNotFound {
			t.Fatalf("attempt %d on replica %d: %d %+v", i+1, i%2, status, env.Meta)
		}
	}
	for i, srv := range replicas {
		status, h, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery(uniq()+"@example.com", "guess1234"), from(client), "")
		check429(t, status, h, env, rate.Window)
		r := doGQL(t, srv, nil, from(client), loginMutation, map[string]any{"e": uniq() + "@example.com", "p": "guess1234"})
		if r.Codes()["login"] != "RATE_LIMITED" {
			t.Errorf("replica %d over GraphQL: %s", i, r.Body)
		}
	}

	// Per email, across replicas and clients: sign-ups of one address.
	email := "shared-" + uniq() + "@example.com"
	in := map[string]any{"username": "shared", "email": email, "password": "test1234"}
	if r := doGQL(t, a, nil, from(randomIP()), signupMutation, map[string]any{"in": in}); len(r.Errors) != 0 {
		t.Fatalf("sign-up on a: %s", r.Body)
	}
	if r := doGQL(t, b, nil, from(randomIP()), signupMutation, map[string]any{"in": in}); r.Codes()["createUser"] != "DUPLICATE" {
		t.Fatalf("second sign-up on b: %s, want DUPLICATE", r.Body)
	}
	if r := doGQL(t, a, nil, from(randomIP()), signupMutation, map[string]any{"in": in}); r.Codes()["createUser"] != "RATE_LIMITED" {
		t.Errorf("third sign-up on a: %s, want RATE_LIMITED", r.Body)
	}
}

// TestRateLimitRedisDown: with Redis unreachable the service neither fails
// nor stops limiting: each replica counts on its own, and says so in the log
// (without the Redis password).
func TestRateLimitRedisDown(t *testing.T) {
	t.Parallel()
	rate := config.Rate{Count: 2, Window: time.Minute}
	cfg := limited(rate, config.Rate{})
	cfg.RedisURL = "redis://:redis-password-xyz@127.0.0.1:1/0" // nothing listens on port 1
	srv := apptest.Start(t, cfg)
	client := randomIP()
	for i := range 2 {
		status, _, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery(fmt.Sprintf("d%d@example.com", i), "guess1234"), from(client), "")
		if status != http.StatusNotFound {
			t.Fatalf("attempt %d with Redis down: %d %+v, want 404", i+1, status, env.Meta)
		}
	}
	status, h, env := doREST(t, srv, nil, http.MethodGet, restLoginQuery("d9@example.com", "guess1234"), from(client), "")
	check429(t, status, h, env, rate.Window)
	logs := srv.Logs.String()
	if !strings.Contains(logs, "rate limit") {
		t.Errorf("nothing logged about Redis:\n%s", logs)
	}
	assertNoSecrets(t, "the log", logLines(srv), map[string]string{"the Redis password": "redis-password-xyz"})
}
