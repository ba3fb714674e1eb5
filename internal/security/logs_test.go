package security_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/secevent"
)

// TestNoSecretsInLogs: whatever a request carries and however it fails, the
// log never holds the Authorization header, a password, a hash or the key;
// database failures are logged (so operators see them) without the values
// bound to the statement.
func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	rec := &recorder{}
	const (
		pwREST    = "RestPass7781"
		pwGraphQL = "GqlPass5512"
		pwWrong   = "WrongPw9931"
		pwForced  = "ForcedPw4471"
	)
	jsonH := http.Header{"Content-Type": {"application/json"}}

	// Sign-ups, REST and GraphQL; then duplicates of each (the 77 path).
	restUser := `{"username": "restuser", "email": "rest@example.com", "password": "` + pwREST + `"}`
	if status, _, env := doREST(t, srv, rec, http.MethodPost, "/v1/users", jsonH, restUser); status != http.StatusOK {
		t.Fatalf("sign-up: %d %+v", status, env.Meta)
	}
	gqlIn := map[string]any{"in": map[string]any{"username": "gqluser", "email": "gql@example.com", "password": pwGraphQL}}
	if r := doGQL(t, srv, rec, nil, signupMutation, gqlIn); len(r.Errors) != 0 {
		t.Fatalf("sign-up: %s", r.Body)
	}
	if status, _, env := doREST(t, srv, rec, http.MethodPost, "/v1/users", jsonH, restUser); env.Meta.Code != 77 {
		t.Fatalf("duplicate: %d %+v", status, env.Meta)
	}
	if r := doGQL(t, srv, rec, nil, signupMutation, gqlIn); r.Codes()["createUser"] != "DUPLICATE" {
		t.Fatalf("duplicate: %s", r.Body)
	}

	// Logins every way, right and wrong; the query string holds a password.
	var token string
	status, _, env := doREST(t, srv, rec, http.MethodGet, restLoginQuery("rest@example.com", pwREST), nil, "")
	if status != http.StatusOK {
		t.Fatalf("login: %d %+v", status, env.Meta)
	}
	var u struct{ Token string }
	_ = json.Unmarshal(env.Data, &u)
	token = u.Token
	doREST(t, srv, rec, http.MethodGet, restLoginQuery("rest@example.com", pwWrong), nil, "")
	doREST(t, srv, rec, http.MethodPost, "/v1/users/self/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		url.Values{"email": {"rest@example.com"}, "password": {pwWrong}}.Encode())
	doREST(t, srv, rec, http.MethodPost, "/v1/users/self/login", jsonH, `{"email": "nobody@example.com", "password": "`+pwWrong+`"}`)
	gqlToken := srv.Login(t, "gql@example.com", pwGraphQL)
	doGQL(t, srv, rec, nil, loginMutation, map[string]any{"e": "gql@example.com", "p": pwWrong})
	// A malformed body holding a password, on both transports.
	doREST(t, srv, rec, http.MethodPost, "/v1/users/self/login", jsonH, `{"email": "rest@example.com", "password": "`+pwWrong+`"`)
	doGQLRaw(t, srv, rec, nil, `{"query": "mutation { login(email: \"gql@example.com\", password: \"`+pwWrong+`\") { token } }"`)

	// Authenticated requests, good and bad tokens, raw and Bearer.
	for _, auth := range []string{token, "Bearer " + gqlToken, token + "x", "Bearer " + token[:len(token)-5]} {
		doREST(t, srv, rec, http.MethodGet, "/v1/users", http.Header{"Authorization": {auth}}, "")
		doREST(t, srv, rec, http.MethodGet, "/v1/users/1", http.Header{"Authorization": {auth}}, "")
		doGQL(t, srv, rec, http.Header{"Authorization": {auth}}, `{ me { id email } users { nodes { id } } }`, nil)
	}

	// A database error whose DETAIL holds the new row, hash included
	// ("Failing row contains (...)"), on both transports.
	if _, err := srv.Pool.Exec(t.Context(), `ALTER TABLE "user" ADD CONSTRAINT force_fail CHECK (username NOT LIKE 'forced%') NOT VALID`); err != nil {
		t.Fatal(err)
	}
	status, _, env = doREST(t, srv, rec, http.MethodPost, "/v1/users", jsonH, `{"username": "forced1", "email": "forced1@example.com", "password": "`+pwForced+`"}`)
	if status != http.StatusInternalServerError || env.Meta.Code != 500 {
		t.Errorf("forced failure over REST: %d %+v, want 500/500", status, env.Meta)
	}
	r := doGQL(t, srv, rec, nil, signupMutation, map[string]any{"in": map[string]any{"username": "forced2", "email": "forced2@example.com", "password": pwForced}})
	if r.Codes()["createUser"] != "INTERNAL" {
		t.Errorf("forced failure over GraphQL: %s", r.Body)
	}
	// Every statement failing (the table gone), on login, list and sign-up.
	if _, err := srv.Pool.Exec(t.Context(), `ALTER TABLE "user" RENAME TO user_gone`); err != nil {
		t.Fatal(err)
	}
	doREST(t, srv, rec, http.MethodGet, restLoginQuery("rest@example.com", pwREST), nil, "")
	doGQL(t, srv, rec, nil, loginMutation, map[string]any{"e": "gql@example.com", "p": pwGraphQL})
	doREST(t, srv, rec, http.MethodPost, "/v1/users", jsonH, `{"username": "forced3", "email": "forced3@example.com", "password": "`+pwForced+`"}`)
	doREST(t, srv, rec, http.MethodGet, "/v1/users", http.Header{"Authorization": {token}}, "")

	logs := srv.Logs.String()
	// The failures were logged, as errors operators can act on.
	for _, want := range []string{"violates check constraint", `relation \"user\" does not exist`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}
	secrets := withSecrets(map[string]string{
		"a password (REST)":         pwREST,
		"a password (GraphQL)":      pwGraphQL,
		"a wrong password":          pwWrong,
		"the forced row's password": pwForced,
		"a token":                   token[20:60],
		"another token":             gqlToken[20:60],
		"a query string":            "password=",
		"Failing row DETAIL":        "Failing row",
		"the Authorization header":  "Authorization",
	})
	// Emails are personal data: security events carry their keyed hash.
	logSecrets := maps.Clone(secrets)
	for _, email := range []string{"rest@example.com", "gql@example.com", "nobody@example.com", "forced1@example.com"} {
		logSecrets["the email "+email] = email
	}
	assertNoSecrets(t, "the log", logLines(srv), logSecrets)
	if n := strings.Count(logs, `"msg":"security event"`); n < 5 {
		t.Errorf("%d security events for the failed logins and bad tokens above, want at least 5", n)
	}
	// Responses: no hash, key or password anywhere, and no database text in a 500.
	delete(secrets, "a token")
	delete(secrets, "another token") // each login answer holds its own token
	delete(secrets, "the Authorization header")
	assertNoSecrets(t, "a response", rec.all(), secrets)
	for _, b := range rec.all() {
		if strings.Contains(b, "relation") || strings.Contains(b, "check constraint") {
			t.Errorf("a response shows a database error: %.300s", b)
		}
	}
}

// secEvent is a security event as logged.
type secEvent struct {
	Event     string `json:"event"`
	Reason    string `json:"reason"`
	ClientIP  string `json:"client_ip"`
	EmailHash string `json:"email_hash"`
	RequestID string `json:"request_id"`
	Line      string `json:"-"`
}

// secEvents returns the security events in the server's log, in order.
func secEvents(t *testing.T, srv *apptest.Server) []secEvent {
	t.Helper()
	var out []secEvent
	for _, line := range logLines(srv) {
		if !strings.Contains(line, `"msg":"security event"`) {
			continue
		}
		var e secEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		e.Line = line
		out = append(out, e)
	}
	return out
}

// eventTotals returns security_events_total by "event/reason", and their sum.
func eventTotals(t *testing.T, srv *apptest.Server) (map[string]int, int) {
	t.Helper()
	by, sum := map[string]int{}, 0
	for line := range strings.SplitSeq(scrape(t, srv), "\n") {
		rest, ok := strings.CutPrefix(line, `security_events_total{event="`)
		if !ok {
			continue
		}
		event, rest, _ := strings.Cut(rest, `",reason="`)
		reason, value, _ := strings.Cut(rest, `"} `)
		n, err := strconv.Atoi(value)
		if err != nil {
			t.Fatalf("metric line %q", line)
		}
		by[event+"/"+reason] = n
		sum += n
	}
	return by, sum
}

// TestSecurityEvents: every refused attempt (failed logins, refused tokens,
// rate-limit refusals) leaves exactly one security event, with its client
// address, request id and, for logins and sign-ups, the email's keyed hash,
// and one increment of security_events_total; the access log line of that
// request carries the same client address. No event holds a raw email or
// token.
func TestSecurityEvents(t *testing.T) {
	t.Parallel()
	cfg, fresh := takeover(t)
	cfg.TrustedProxies = 1
	cfg.LoginLimit = config.Rate{Count: 2, Window: time.Minute}
	cfg.SignupLimit = config.Rate{Count: 1, Window: time.Hour}
	cfg.TokenLimit = config.Rate{Count: 2, Window: time.Minute}
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
	srv := apptest.Start(t, cfg)
	hasher := secevent.NewEmailHasher(fresh[:])
	signUp := func(ip, username, email string) apptest.GraphQLResponse {
		return doGQL(t, srv, nil, from(ip), signupMutation, map[string]any{"in": map[string]any{"username": username, "email": email, "password": "test1234"}})
	}
	if r := signUp(randomIP(), "bob.smith", "bob.smith@mail.co"); len(r.Errors) > 0 {
		t.Fatalf("sign-up: %s", r.Body)
	}
	if r := signUp(randomIP(), "alice", "alice1@gmail.com"); len(r.Errors) > 0 {
		t.Fatalf("sign-up: %s", r.Body)
	}
	stored := apptest.MintToken(t, legacy, "7403160892", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC))
	makeLegacy(t, srv, "alice1@gmail.com", "7403160892", &stored)
	good := srv.Login(t, "bob.smith@mail.co", "test1234")
	gqlLogin := func(ip, email, password string) {
		doGQL(t, srv, nil, from(ip), loginMutation, map[string]any{"e": email, "p": password})
	}
	restToken := func(ip, token string) {
		doREST(t, srv, nil, http.MethodGet, "/v1/users", from(ip, "Authorization", token), "")
	}
	gqlToken := func(ip, token string) {
		doGQL(t, srv, nil, from(ip, "Authorization", "Bearer "+token), `{ me { id } }`, nil)
	}

	tests := []struct {
		name          string
		setup         func(ip string) // not measured
		do            func(ip string)
		event, reason string
		email         string // whose hash the event carries; "" for none
	}{
		{name: "login, unknown email", do: func(ip string) { gqlLogin(ip, "Nobody@Example.com", "wrong1234") },
			event: "login_failed", reason: "unknown_email", email: "nobody@example.com"},
		{name: "login, wrong password, REST", do: func(ip string) {
			doREST(t, srv, nil, http.MethodGet, restLoginQuery("bob.smith@mail.co", "wrong1234"), from(ip), "")
		}, event: "login_failed", reason: "wrong_password", email: "bob.smith@mail.co"},
		{name: "login, address over its limit",
			setup: func(ip string) {
				gqlLogin(ip, "x1@example.com", "wrong1234")
				gqlLogin(ip, "x2@example.com", "wrong1234")
			},
			do:    func(ip string) { gqlLogin(ip, "x3@example.com", "wrong1234") },
			event: "rate_limited", reason: "login", email: "x3@example.com"},
		{name: "login, email over its limit",
			setup: func(string) {
				gqlLogin(randomIP(), "bob.smith@mail.co", "wrong1234")
				gqlLogin(randomIP(), "bob.smith@mail.co", "wrong1234")
			},
			do:    func(ip string) { gqlLogin(ip, "bob.smith@mail.co", "test1234") },
			event: "rate_limited", reason: "login", email: "bob.smith@mail.co"},
		{name: "sign-up over the limit",
			setup: func(ip string) { signUp(ip, "spam1", "spam1@example.com") },
			do: func(ip string) {
				doREST(t, srv, nil, http.MethodPost, "/v1/users", from(ip, "Content-Type", "application/json"),
					`{"username": "spam2", "email": "spam2@example.com", "password": "test1234"}`)
			}, event: "rate_limited", reason: "signup", email: "spam2@example.com"},
		{name: "token, malformed", do: func(ip string) { restToken(ip, "garbage") }, event: "token_refused", reason: "malformed"},
		{name: "token, forged", do: func(ip string) {
			var k fernet.Key
			_ = k.Generate()
			gqlToken(ip, apptest.MintToken(t, &k, srv.SID(t, "bob.smith@mail.co"), time.Now()))
		}, event: "token_refused", reason: "forged"},
		{name: "token, expired", do: func(ip string) {
			restToken(ip, apptest.MintToken(t, fresh, srv.SID(t, "bob.smith@mail.co"), time.Now().Add(-25*time.Hour)))
		}, event: "token_refused", reason: "expired"},
		{name: "token, revoked", do: func(ip string) { gqlToken(ip, apptest.MintToken(t, fresh, "no-such-sid", time.Now())) },
			event: "token_refused", reason: "revoked"},
		{name: "token, legacy key, not the stored token", do: func(ip string) { restToken(ip, apptest.MintToken(t, legacy, "7403160892", time.Now())) },
			event: "token_refused", reason: "legacy_mismatch"},
		{name: "token, address over its limit",
			setup: func(ip string) { restToken(ip, "garbage"); restToken(ip, "garbage") },
			do:    func(ip string) { gqlToken(ip, good) },
			event: "rate_limited", reason: "token"},
	}
	for _, tt := range tests {
		ip := randomIP()
		if tt.setup != nil {
			tt.setup(ip)
		}
		before := len(secEvents(t, srv))
		byBefore, sumBefore := eventTotals(t, srv)
		tt.do(ip)
		after := secEvents(t, srv)
		by, sum := eventTotals(t, srv)
		key := tt.event + "/" + tt.reason
		if sum != sumBefore+1 || by[key] != byBefore[key]+1 {
			t.Errorf("%s: security_events_total %s %d -> %d, all %d -> %d; want one more of each", tt.name, key, byBefore[key], by[key], sumBefore, sum)
		}
		if len(after) != before+1 {
			t.Errorf("%s: %d security events logged, want 1: %v", tt.name, len(after)-before, after[before:])
			continue
		}
		e := after[before]
		wantHash := ""
		if tt.email != "" {
			wantHash = hasher.Hash(tt.email)
		}
		if e.Event != tt.event || e.Reason != tt.reason || e.ClientIP != ip || e.RequestID == "" || e.EmailHash != wantHash {
			t.Errorf("%s: event %s, want event %s, reason %s, client_ip %s, a request_id, email_hash %q", tt.name, e.Line, tt.event, tt.reason, ip, wantHash)
		}
		// The access line of that request carries the same client address.
		found := false
		for _, line := range logLines(srv) {
			if strings.Contains(line, `"msg":"request"`) && strings.Contains(line, `"request_id":"`+e.RequestID+`"`) {
				found = strings.Contains(line, `"client_ip":"`+ip+`"`)
			}
		}
		if !found {
			t.Errorf("%s: no access line with client_ip %s for request %s", tt.name, ip, e.RequestID)
		}
	}

	secrets := withSecrets(map[string]string{"a stored legacy token": stored[20:60], "a token": good[20:60]})
	for _, email := range []string{"bob.smith@mail.co", "alice1@gmail.com", "nobody@example.com", "Nobody@Example.com", "x3@example.com", "spam2@example.com"} {
		secrets["the email "+email] = email
	}
	assertNoSecrets(t, "the log", logLines(srv), secrets)
}
