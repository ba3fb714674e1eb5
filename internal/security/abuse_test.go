package security_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"

	"users/internal/apptest"
	"users/internal/server"
)

// abuse runs requests against one server and checks every answer.
type abuse struct {
	srv    *apptest.Server
	rec    *recorder
	token  string // the observer's token, for routes that need one
	seq    atomic.Int64
	stored atomic.Int64 // hostile values that were stored (and checked)
}

func (a *abuse) email() string { return fmt.Sprintf("abuse%d@example.com", a.seq.Add(1)) }

// headersTooLarge reports whether net/http refused a request whose URL is
// over the public port's limit (server.MaxHeaderBytes) with 431, before any
// handler ran: the one answer in neither the envelope nor GraphQL's format.
func headersTooLarge(status int, path string) bool {
	return status == http.StatusRequestHeaderFieldsTooLarge && len(path) > server.MaxHeaderBytes
}

// restOK checks a REST answer: an envelope (doREST checks that), and no 500
// except legacy's duplicate (HTTP 500 with code 77).
func (a *abuse) restOK(t *testing.T, what string, status int, env apptest.Envelope) {
	t.Helper()
	if env.Meta.Code == 500 || (status >= 500 && env.Meta.Code != 77) {
		t.Errorf("%s: %d %+v, want a clear error or success", what, status, env.Meta)
	}
}

// gqlOK checks a GraphQL answer: no 5xx and no INTERNAL error.
func (a *abuse) gqlOK(t *testing.T, what string, r apptest.GraphQLResponse) {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("%s: status %d: %.300s", what, r.Status, r.Body)
	}
	for _, e := range r.Errors {
		if e.Code() == "INTERNAL" || e.Message == "" {
			t.Errorf("%s: %.300s", what, r.Body)
		}
	}
}

// noEcho checks that a password sent in a request is not in its answer.
func noEcho(t *testing.T, what string, body []byte, password string) {
	t.Helper()
	if len(password) < 6 {
		return // too short to tell apart from other text
	}
	enc, _ := json.Marshal(password)
	if bytes.Contains(body, []byte(password)) || bytes.Contains(body, enc[1:len(enc)-1]) {
		t.Errorf("%s: the answer repeats the submitted password: %.300q", what, body)
	}
}

// verbatim checks that a user created with these values holds them exactly.
func (a *abuse) verbatim(t *testing.T, what, username, email string, info map[string]any) {
	t.Helper()
	var gotName, gotEmail string
	var gotInfo map[string]any
	err := a.srv.Pool.QueryRow(t.Context(), `SELECT username, email, info FROM "user" WHERE email = $1`, email).Scan(&gotName, &gotEmail, &gotInfo)
	if err != nil {
		t.Errorf("%s: created, but not found: %v", what, err)
		return
	}
	if gotName != username || gotEmail != email || !reflect.DeepEqual(gotInfo, info) {
		t.Errorf("%s: stored %q %q %v, want %q %q %v", what, gotName, gotEmail, gotInfo, username, email, info)
	}
	a.stored.Add(1)
}

// restCreate signs up over REST with one field replaced by raw JSON text.
func (a *abuse) restCreate(t *testing.T, what, username, email, password, infoJSON string, check func()) {
	t.Helper()
	body := `{"username": ` + rawJSON(username) + `, "email": ` + rawJSON(email) + `, "password": ` + rawJSON(password)
	if infoJSON != "" {
		body += `, "info": ` + infoJSON
	}
	body += "}"
	status, _, env := doREST(t, a.srv, a.rec, http.MethodPost, "/v1/users", http.Header{"Content-Type": {"application/json"}}, body)
	a.restOK(t, what, status, env)
	if status == http.StatusOK && check != nil {
		check()
	}
}

// gqlCreate signs up over GraphQL with variables built as raw JSON.
func (a *abuse) gqlCreate(t *testing.T, what, username, email, password, infoJSON string, check func()) apptest.GraphQLResponse {
	t.Helper()
	in := `{"username": ` + rawJSON(username) + `, "email": ` + rawJSON(email) + `, "password": ` + rawJSON(password)
	if infoJSON != "" {
		in += `, "info": ` + infoJSON
	}
	in += "}"
	r := doGQLRaw(t, a.srv, a.rec, nil, `{"query": "mutation($in: CreateUserInput!) { createUser(input: $in) { id username email info } }", "variables": {"in": `+in+`}}`)
	a.gqlOK(t, what, r)
	noEcho(t, what, r.Body, password)
	if len(r.Errors) == 0 && check != nil {
		check()
	}
	return r
}

// TestAbuse sends every hostile value in every field of every REST and
// GraphQL entry point. Each answer is a clear error (envelope, GraphQL error;
// never a 500 or INTERNAL) or a success that stored the value verbatim; the
// server stays up; and no answer or log line holds a hash, the key, another
// user's token or a submitted password.
func TestAbuse(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	a := &abuse{srv: srv, rec: &recorder{}}
	const observerPassword, victimPassword = "Observer1234", "Victim98765"
	srv.SignUp(t, "observer", "observer@example.com", observerPassword)
	srv.SignUp(t, "victim", "victim@example.com", victimPassword)
	a.token = srv.Login(t, "observer@example.com", observerPassword)
	victimToken := srv.Login(t, "victim@example.com", victimPassword)

	t.Run("payloads", func(t *testing.T) {
		for _, p := range payloads {
			t.Run(p.name, func(t *testing.T) {
				t.Parallel()
				a.payload(t, p.v)
			})
		}
	})
	t.Run("deep and wide", func(t *testing.T) { a.shapes(t) })
	t.Run("deep JSON", func(t *testing.T) { a.deepJSON(t) })

	// Still up, still working.
	if status, _, _ := srv.Do(t, http.MethodGet, "/healthz", nil, ""); status != http.StatusOK {
		t.Errorf("/healthz = %d after the abuse", status)
	}
	if tok := srv.Login(t, "victim@example.com", victimPassword); tok == "" {
		t.Error("the victim cannot log in after the abuse")
	}
	if a.stored.Load() == 0 {
		t.Error("no hostile value was stored: the verbatim checks never ran")
	}
	// No answer and no log line holds a secret.
	secrets := withSecrets(map[string]string{
		"the observer's token":    a.token[20:60],
		"the victim's token":      victimToken[20:60],
		"the victim's password":   victimPassword,
		"the observer's password": observerPassword,
	})
	assertNoSecrets(t, "an answer", a.rec.all(), secrets)
	assertNoSecrets(t, "the log", logLines(srv), secrets)
	t.Logf("%d answers checked, %d hostile values stored verbatim", len(a.rec.all()), a.stored.Load())
}
