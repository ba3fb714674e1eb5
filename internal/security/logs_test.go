package security_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"users/internal/apptest"
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
	if r := doGQL(t, srv, rec, nil, signupMutation, gqlIn); r.codes()["createUser"] != "DUPLICATE" {
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
	if r.codes()["createUser"] != "INTERNAL" {
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
	assertNoSecrets(t, "the log", logLines(srv), secrets)
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
