// Package security_test proves the service's defences end to end, against the
// real server (apptest) on a real PostgreSQL, and Redis where counters are
// shared: rate limits on login and sign-up (per client IP and per email, over
// REST and GraphQL, across replicas), client addresses behind proxies, CORS,
// the body limit, secrets kept out of logs and responses, token hygiene, who
// sees whose email and info (USER_DIRECTORY), and an abuse suite of hostile
// input at every entry point.
//
// SECURITY.md at the top of the repository describes the threat model these
// tests stand for.
package security_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// recorder remembers every response body, to grep them all for secrets.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) add(b []byte) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, string(b))
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

// from returns headers for a client at ip behind one trusted proxy (which
// appended ip to X-Forwarded-For), with extra headers as key, value pairs.
func from(ip string, kv ...string) http.Header {
	h := http.Header{}
	if ip != "" {
		h.Set("X-Forwarded-For", ip)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// doREST sends a REST request and decodes the envelope (failing the test if
// the body is not one).
func doREST(t *testing.T, srv *apptest.Server, rec *recorder, method, path string, h http.Header, body string) (int, http.Header, apptest.Envelope) {
	t.Helper()
	status, header, b := srv.Do(t, method, path, h, body)
	rec.add(b)
	var env apptest.Envelope
	if err := json.Unmarshal(b, &env); err != nil || env.Meta.Code == 0 {
		t.Fatalf("%s %s: status %d, not an envelope (%v): %.300q", method, path, status, err, b)
	}
	return status, header, env
}

// doGQL posts a GraphQL request with variables and headers.
func doGQL(t *testing.T, srv *apptest.Server, rec *recorder, h http.Header, query string, vars map[string]any) apptest.GraphQLResponse {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return doGQLRaw(t, srv, rec, h, string(body))
}

// doGQLRaw posts a raw GraphQL-over-HTTP body.
func doGQLRaw(t *testing.T, srv *apptest.Server, rec *recorder, h http.Header, body string) apptest.GraphQLResponse {
	t.Helper()
	r := srv.GraphQLRaw(t, h, body)
	rec.add(r.Body)
	return r
}

// restLoginQuery logs in over REST with the query string.
func restLoginQuery(email, password string) string {
	return "/v1/users/self/login?" + url.Values{"email": {email}, "password": {password}}.Encode()
}

// randomIP returns an address in 198.18.0.0/15 (reserved for tests), unlikely
// to be shared with another test using the same Redis.
func randomIP() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<17))
	v := n.Int64()
	return fmt.Sprintf("198.%d.%d.%d", 18+v>>16, (v>>8)&0xff, v&0xff)
}

// uniq returns a random lower-case hex word, for emails no other test uses.
func uniq() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// limited returns the test configuration with the given limits, behind one
// trusted proxy (so tests can pose as many clients through X-Forwarded-For).
func limited(login, signup config.Rate) config.Config {
	cfg := apptest.Config()
	cfg.LoginLimit, cfg.SignupLimit = login, signup
	cfg.TrustedProxies = 1
	return cfg
}

// assertNoSecrets fails the test if any text holds one of the secrets
// (empty secrets are ignored), quoting where.
func assertNoSecrets(t *testing.T, what string, texts []string, secrets map[string]string) {
	t.Helper()
	for _, text := range texts {
		for name, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s contains %s: ...%.200q...", what, name, text[max(0, i-100):min(len(text), i+len(s)+50)])
			}
		}
	}
}

// hashMarkers are the prefixes of bcrypt hashes: no response or log line may
// hold one.
var hashMarkers = map[string]string{"a bcrypt $2a$ hash": "$2a$", "a bcrypt $2b$ hash": "$2b$", "a bcrypt $2y$ hash": "$2y$"}

func withSecrets(extra map[string]string) map[string]string {
	out := map[string]string{"the Fernet key": config.LegacyKey}
	for k, v := range hashMarkers {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func logLines(srv *apptest.Server) []string {
	return strings.Split(srv.Logs.String(), "\n")
}
