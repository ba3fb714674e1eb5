package persisted_test

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/ratelimit/redistest"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// unique makes a document no other test (or earlier run, through Redis) has
// registered.
func unique(t *testing.T) string {
	b := make([]byte, 6)
	rand.Read(b)
	return `query Me_` + hex.EncodeToString(b) + ` { me { username } }`
}

// apqBody is an APQ request: the hash, and the document when query is not "".
func apqBody(t *testing.T, query, hash string) string {
	t.Helper()
	req := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if query != "" {
		req["query"] = query
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func auth(token string) http.Header { return http.Header{"Authorization": {token}} }

// wantError checks that r is a request error (no data) with code, and with
// message when it is not "".
func wantError(t *testing.T, r apptest.GraphQLResponse, code, message string) {
	t.Helper()
	if r.Code() != code || r.HasData() || len(r.Errors) != 1 || message != "" && r.Errors[0].Message != message {
		t.Fatalf("status %d %s; want one error %s %q and no data", r.Status, r.Body, code, message)
	}
}

func wantMe(t *testing.T, r apptest.GraphQLResponse, username string) {
	t.Helper()
	var out struct{ Me struct{ Username string } }
	r.Decode(t, &out)
	if out.Me.Username != username {
		t.Fatalf("me = %s, want %s", r.Data, username)
	}
}

func TestAPQ(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "ada_l", "ada@example.com", "analytical1")
	token := srv.Login(t, "ada@example.com", "analytical1")
	doc := unique(t)
	hash := sha(doc)

	// Apollo's exchange: the hash alone, PersistedQueryNotFound, then the
	// document with its hash, then the hash alone over POST and GET.
	wantError(t, srv.GraphQLRaw(t, auth(token), apqBody(t, "", hash)), "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
	wantMe(t, srv.GraphQLRaw(t, auth(token), apqBody(t, doc, hash)), "ada_l")
	wantMe(t, srv.GraphQLRaw(t, auth(token), apqBody(t, "", hash)), "ada_l")
	ext := `{"persistedQuery":{"version":1,"sha256Hash":"` + hash + `"}}`
	wantMe(t, srv.GraphQLGet(t, auth(token), url.Values{"extensions": {ext}}), "ada_l")
	wantMe(t, srv.GraphQLGet(t, auth(token), url.Values{"documentId": {"sha256:" + hash}}), "ada_l")
	wantMe(t, srv.GraphQLRaw(t, auth(token), `{"documentId": "sha256:`+hash+`"}`), "ada_l")

	t.Run("a hash that does not match its document", func(t *testing.T) {
		other := unique(t)
		wantError(t, srv.GraphQLRaw(t, auth(token), apqBody(t, other, hash)), "PERSISTED_QUERY_HASH_MISMATCH", "")
		wantError(t, srv.GraphQLRaw(t, auth(token), apqBody(t, "", sha(other))), "PERSISTED_QUERY_NOT_FOUND", "")
	})
	t.Run("a document that fails validation is not stored", func(t *testing.T) {
		bad := `query Bad { me { nosuchfield } }`
		if r := srv.GraphQLRaw(t, auth(token), apqBody(t, bad, sha(bad))); r.Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("%s; want GRAPHQL_VALIDATION_FAILED", r.Body)
		}
		wantError(t, srv.GraphQLRaw(t, auth(token), apqBody(t, "", sha(bad))), "PERSISTED_QUERY_NOT_FOUND", "")
	})
	t.Run("a document over the limits is not stored", func(t *testing.T) {
		deep := `query Deep { users(first: 100) { nodes { info } totalCount a: totalCount b: totalCount c: totalCount } }`
		if r := srv.GraphQLRaw(t, auth(token), apqBody(t, deep, sha(deep))); r.Code() != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Fatalf("%s; want COMPLEXITY_LIMIT_EXCEEDED", r.Body)
		}
		wantError(t, srv.GraphQLRaw(t, auth(token), apqBody(t, "", sha(deep))), "PERSISTED_QUERY_NOT_FOUND", "")
	})
	bad := []struct{ name, body, code string }{
		{"version 2", `{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"` + hash + `"}}}`, "PERSISTED_QUERY_NOT_SUPPORTED"},
		{"no hash", `{"extensions":{"persistedQuery":{"version":1}}}`, "PERSISTED_QUERY_INVALID"},
		{"not an object", `{"extensions":{"persistedQuery":"x"}}`, "PERSISTED_QUERY_INVALID"},
		{"a documentId APQ cannot name", `{"documentId":"x-custom:1"}`, "PERSISTED_QUERY_NOT_FOUND"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, srv.GraphQLRaw(t, auth(token), tt.body), tt.code, "")
		})
	}

	t.Run("metrics name the persisted operation", func(t *testing.T) {
		_, _, body := srv.Do(t, http.MethodGet, "/metrics", nil, "")
		name := strings.Fields(strings.TrimPrefix(doc, "query "))[0]
		if !strings.Contains(string(body), `graphql_operations_total{operation="`+name+`",outcome="ok"} 5`) {
			t.Errorf("/metrics does not count 5 runs of %s", name)
		}
	})
}

func TestAPQOff(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.APQ = false
	srv := apptest.Start(t, cfg)
	doc := unique(t)
	wantError(t, srv.GraphQLRaw(t, nil, apqBody(t, "", sha(doc))), "PERSISTED_QUERY_NOT_SUPPORTED", "PersistedQueryNotSupported")
	wantError(t, srv.GraphQLRaw(t, nil, `{"documentId":"sha256:`+sha(doc)+`"}`), "PERSISTED_QUERY_NOT_SUPPORTED", "")
}

// TestAPQSharedThroughRedis registers a document on one replica and runs it
// by hash on another.
func TestAPQSharedThroughRedis(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.RedisURL = redistest.URL(t)
	pool := testdb.New(t)
	a := apptest.StartOn(t, cfg, pool)
	b := apptest.StartOn(t, cfg, pool)
	a.SignUp(t, "ada_l", "ada@example.com", "analytical1")
	token := a.Login(t, "ada@example.com", "analytical1")
	doc := unique(t)
	wantMe(t, a.GraphQLRaw(t, auth(token), apqBody(t, doc, sha(doc))), "ada_l")
	wantMe(t, b.GraphQLRaw(t, auth(token), apqBody(t, "", sha(doc))), "ada_l")

	t.Run("a document Redis holds under another's hash is not run", func(t *testing.T) {
		victim, planted := unique(t), unique(t)
		if err := redistest.Client(t).Set(t.Context(), "users:apq:"+sha(victim), planted, 0).Err(); err != nil {
			t.Fatal(err)
		}
		wantError(t, b.GraphQLRaw(t, auth(token), apqBody(t, "", sha(victim))), "PERSISTED_QUERY_NOT_FOUND", "")
	})
}

func TestTrustedDocuments(t *testing.T) {
	t.Parallel()
	me := `query Me { me { username } }`                                                                  // listed by its SHA-256, as graphql-codegen writes it
	page := `query Page($n: Int) { users(first: $n) { edges { node { id } } pageInfo { hasNextPage } } }` // listed by its MD5, as Relay writes it
	signUp := `mutation SignUp($in: CreateUserInput!) { createUser(input: $in) { id } }`
	login := `mutation LogIn($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`
	md5sum := md5.Sum([]byte(page))
	relayID := hex.EncodeToString(md5sum[:])
	manifest := map[string]string{sha(me): me, relayID: page, sha(signUp): signUp, sha(login): login}
	cfg := apptest.Config()
	cfg.TrustedDocuments = writeJSON(t, manifest)
	srv := apptest.Start(t, cfg)

	// Sign up and log in through listed documents, by hash alone.
	r := srv.GraphQLRaw(t, nil, `{"documentId":"sha256:`+sha(signUp)+`","variables":{"in":{"username":"ada_l","email":"ada@example.com","password":"analytical1"}}}`)
	if len(r.Errors) > 0 {
		t.Fatalf("sign up by documentId: %s", r.Body)
	}
	r = srv.GraphQLRaw(t, nil, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"`+sha(login)+`"}},"variables":{"e":"ada@example.com","p":"analytical1"}}`)
	var out struct{ Login struct{ Token string } }
	r.Decode(t, &out)
	token := out.Login.Token

	ok := []struct {
		name string
		do   func() apptest.GraphQLResponse
	}{
		{"Apollo's hash alone", func() apptest.GraphQLResponse { return srv.GraphQLRaw(t, auth(token), apqBody(t, "", sha(me))) }},
		{"documentId sha256:", func() apptest.GraphQLResponse {
			return srv.GraphQLRaw(t, auth(token), `{"documentId":"sha256:`+sha(me)+`"}`)
		}},
		{"the manifest's own id", func() apptest.GraphQLResponse { return srv.GraphQLRaw(t, auth(token), `{"documentId":"`+sha(me)+`"}`) }},
		{"Relay's doc_id (MD5)", func() apptest.GraphQLResponse {
			return srv.GraphQLRaw(t, auth(token), `{"doc_id":"`+relayID+`","variables":{"n":1}}`)
		}},
		{"Relay's id over GET", func() apptest.GraphQLResponse {
			return srv.GraphQLGet(t, auth(token), url.Values{"id": {relayID}, "variables": {`{"n":1}`}})
		}},
		{"a listed document's text", func() apptest.GraphQLResponse { return srv.GraphQL(t, token, me, nil) }},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			if r := tt.do(); len(r.Errors) > 0 || !r.HasData() {
				t.Fatalf("%s", r.Body)
			}
		})
	}

	other := unique(t)
	refused := []struct {
		name, body, code string
	}{
		{"an unlisted document", `{"query":` + quote(other) + `}`, "TRUSTED_DOCUMENTS_ONLY"},
		{"a listed document, edited", `{"query":` + quote(me+" ") + `}`, "TRUSTED_DOCUMENTS_ONLY"},
		{"an APQ registration", apqBody(t, other, sha(other)), "TRUSTED_DOCUMENTS_ONLY"},
		{"an unknown hash", apqBody(t, "", sha(other)), "PERSISTED_QUERY_NOT_IN_LIST"},
		{"an unknown documentId", `{"documentId":"sha256:` + sha(other) + `"}`, "PERSISTED_QUERY_NOT_IN_LIST"},
		{"introspection", `{"query":"{ __schema { types { name } } }"}`, "TRUSTED_DOCUMENTS_ONLY"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, srv.GraphQLRaw(t, auth(token), tt.body), tt.code, "")
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "persisted-documents.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBadManifestStopsTheStart: a manifest with a document the schema
// cannot run is an error at start, not a refusal later.
func TestBadManifestStopsTheStart(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	for name, path := range map[string]string{
		"invalid document": writeJSON(t, map[string]string{"x": `{ me { nosuchfield } }`}),
		"missing file":     filepath.Join(t.TempDir(), "none.json"),
	} {
		cfg.TrustedDocuments = path
		_, err := app.New(slog.New(slog.DiscardHandler), cfg, testdb.New(t), nil)
		if err == nil || !strings.Contains(err.Error(), "trusted documents") {
			t.Errorf("%s: app.New error %v, want one about the trusted documents", name, err)
		}
	}
}
