package legacyapp_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/apptest"
	"users/internal/compare"
	"users/internal/config"
	"users/internal/migrate"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	golden     = "../../rest/testdata/golden"
	newDir     = "testdata/new" // requests the recordings do not have, in the same format
	departures = "../../rest/testdata/departures.json"
)

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

type restUser struct {
	Username string         `json:"username"`
	Email    string         `json:"email"`
	Token    string         `json:"token"`
	Info     map[string]any `json:"info"`
}

// login logs in over REST on the service at base and returns the user it
// answers, failing the test unless it answers one with a token.
func login(t *testing.T, base, email, password string) restUser {
	t.Helper()
	status, e := (apptest.Client{URL: base}).REST(t, http.MethodGet, "/v1/users/self/login", jsonHeader,
		`{"email": "`+email+`", "password": "`+password+`"}`)
	var u restUser
	if status != http.StatusOK || json.Unmarshal(e.Data, &u) != nil || u.Token == "" {
		t.Fatalf("%s: login %s: %d %+v", base, email, status, e)
	}
	return u
}

// startHere runs this service on the database at dbURL, migrating it first
// (which adopts the legacy table), with the legacy key as its only key.
func startHere(t *testing.T, dbURL string) *apptest.Server {
	t.Helper()
	return startHereWith(t, dbURL, apptest.Config())
}

// startHereWith is startHere with cfg.
func startHereWith(t *testing.T, dbURL string, cfg config.Config) *apptest.Server {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := migrate.Up(t.Context(), pool); err != nil {
		t.Fatalf("migrate the legacy database: %v", err)
	}
	return apptest.StartOn(t, cfg, pool)
}

// TestLegacyUsersServedHere signs users up on the legacy app, then starts
// this service on the same database: their passwords verify here, their
// legacy tokens authenticate here (the legacy key is the service's key), and
// the legacy app still serves them. compare, read-only on that one
// database, finds only deliberate departures.
func TestLegacyUsersServedHere(t *testing.T) {
	src := legacySource(t)
	dbURL := testdb.Empty(t)
	legacy := startLegacy(t, src, dbURL)

	for _, body := range []string{
		`{"username": "test1", "email": "test1@gmail.com", "password": "test1234"}`,
		`{"username": "test2", "email": "test2@gmail.com", "password": "test1234", "info": {"phone": "123", "n": 1}}`,
	} {
		if status, e := (apptest.Client{URL: legacy}).REST(t, http.MethodPost, "/v1/users", jsonHeader, body); status != http.StatusOK || e.Meta.Code != 200 {
			t.Fatalf("legacy sign-up: %d %+v", status, e)
		}
	}
	legacyUser := login(t, legacy, "test1@gmail.com", "test1234")
	here := startHere(t, dbURL)

	t.Run("legacy password logs in here", func(t *testing.T) {
		u := login(t, here.URL, "test1@gmail.com", "test1234")
		if u.Username != "test1" || u.Token == legacyUser.Token {
			t.Errorf("login here: %+v, want test1 with a token minted here", u)
		}
		if got := here.Login(t, "test2@gmail.com", "test1234"); got == "" {
			t.Error("GraphQL login of a legacy user: no token")
		}
		if status, e := here.REST(t, http.MethodGet, "/v1/users/self/login", jsonHeader,
			`{"email": "test1@gmail.com", "password": "wrongpass1"}`); status != http.StatusBadRequest || e.Meta.Code != 22 {
			t.Errorf("wrong password: %d %+v, want 400/22", status, e)
		}
	})
	t.Run("legacy token authenticates here", func(t *testing.T) {
		h := http.Header{"Authorization": {legacyUser.Token}}
		status, e := here.REST(t, http.MethodGet, "/v1/users", h, "")
		var users []restUser
		if status != http.StatusOK || json.Unmarshal(e.Data, &users) != nil || len(users) != 2 {
			t.Fatalf("GET /v1/users with the legacy token: %d %+v", status, e)
		}
		var me struct {
			Me struct{ Username, Email string }
		}
		here.GraphQL(t, legacyUser.Token, `{ me { username email } }`, nil).Decode(t, &me)
		if me.Me.Email != "test1@gmail.com" {
			t.Errorf("me with the legacy token: %+v", me)
		}
	})
	t.Run("legacy still serves them after the migrations", func(t *testing.T) {
		if u := login(t, legacy, "test2@gmail.com", "test1234"); u.Info["phone"] != "123" {
			t.Errorf("legacy login after migrating: %+v", u)
		}
	})
	t.Run("compare, read-only, on the shared database", func(t *testing.T) {
		runCompare(t, "--legacy", legacy, "--new", here.URL, "--departures", departures, golden, newDir)
	})
}

// TestCompareRecordedExchanges replays every recording, then the new
// requests, writes included, on the legacy app and on this service, each on
// a fresh database of its own (the recordings were made on one fresh
// database), with coexistence off and on: compare finds only deliberate
// departures, and the rows this service wrote are in the legacy format
// exactly when coexistence is on.
func TestCompareRecordedExchanges(t *testing.T) {
	src := legacySource(t)
	for _, coexist := range []bool{false, true} {
		t.Run(modeName(coexist), func(t *testing.T) {
			cfg := apptest.Config()
			if coexist {
				cfg = apptest.CoexistenceConfig(t)
			}
			legacy := startLegacy(t, src, testdb.Empty(t))
			here := startHereWith(t, testdb.Empty(t), cfg)
			out := runCompare(t, "--legacy", legacy, "--new", here.URL, "--allow-writes", "--departures", departures, golden, newDir)
			for _, name := range []string{"03-create-duplicate.txt", "10-create-malformed-json.txt", "31-users-garbage-token.txt", "47-unknown-path.txt"} {
				if !strings.Contains(out, name+"  ") || !strings.Contains(out, "[departures.json]") {
					t.Errorf("%s is not reported as its departures.json entry", name)
				}
			}
			checkRows(t, here, coexist)
		})
	}
}

// runCompare runs `server compare` and logs its report; a real difference
// or a failed request fails the test.
func runCompare(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := compare.Main(t.Context(), append([]string{"--timeout", "30s"}, args...), nil, &stdout, &stderr)
	t.Logf("server compare %s\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	if err != nil { // exit status 1 or 2
		t.Errorf("compare: %v", err)
	}
	return stdout.String()
}
