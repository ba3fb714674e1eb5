package legacyapp_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
)

func modeName(coexist bool) string {
	if coexist {
		return "coexistence on"
	}
	return "coexistence off"
}

// checkRows checks every row of srv's database: with coexistence on, a
// session as the legacy app wrote it; off, nothing of the legacy format (a
// 128-bit sid, no stored token). The database must hold users.
func checkRows(t *testing.T, srv *apptest.Server, coexist bool) {
	t.Helper()
	rows, err := srv.Pool.Query(t.Context(), `SELECT email, sid, token FROM "user" ORDER BY user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var email, sid string
		var token *string
		if err := rows.Scan(&email, &sid, &token); err != nil {
			t.Fatal(err)
		}
		n++
		apptest.CheckSession(t, email, sid, token, coexist)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no user in the database")
	}
	t.Logf("%s: %d rows checked", modeName(coexist), n)
}

// authorized sends GET /v1/users with token to the service at base and
// returns the status and meta code.
func authorized(t *testing.T, base, token string) (int, int) {
	t.Helper()
	status, e := (apptest.Client{URL: base}).REST(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {token}}, "")
	return status, e.Meta.Code
}

// wantServed fails the test unless the legacy app and this service both
// answer GET /v1/users with 200 to token, and logs what they answered.
func wantServed(t *testing.T, whose, token, legacy, here string) {
	t.Helper()
	ls, lc := authorized(t, legacy, token)
	hs, hc := authorized(t, here, token)
	t.Logf("GET /v1/users with %s: legacy app %d/%d, here %d/%d", whose, ls, lc, hs, hc)
	if ls != http.StatusOK || lc != 200 || hs != http.StatusOK || hc != 200 {
		t.Errorf("GET /v1/users with %s: legacy app %d/%d, here %d/%d; want 200/200 on both", whose, ls, lc, hs, hc)
	}
}

// TestCoexistence runs the legacy app and this service, coexistence on, on
// one database (a canary): a user signed up on either logs in and is served
// on the other, and both answer a login with the same stored token, which
// both accept. A logout here revokes the token here and not on the legacy
// app, which only decrypts tokens. A user signed up here while coexistence
// was off has no token the legacy app can answer with, until their first
// login here with it on.
func TestCoexistence(t *testing.T) {
	src := legacySource(t)
	dbURL := testdb.Empty(t)
	legacy := startLegacy(t, src, dbURL)
	here := startHereWith(t, dbURL, apptest.CoexistenceConfig(t))
	legacyClient := apptest.Client{URL: legacy}

	t.Run("signed up here, served on the legacy app", func(t *testing.T) {
		if status, e := here.REST(t, http.MethodPost, "/v1/users", jsonHeader,
			`{"username": "carol", "email": "carol@example.com", "password": "carolpass1", "info": {"team": "core"}}`); status != http.StatusOK {
			t.Fatalf("REST sign-up here: %d %+v", status, e)
		}
		here.SignUp(t, "dave", "dave@example.com", "davepass12")
		for _, u := range []struct{ email, password string }{{"carol@example.com", "carolpass1"}, {"dave@example.com", "davepass12"}} {
			_, stored := here.StoredSession(t, u.email)
			there := login(t, legacy, u.email, u.password).Token
			if stored == nil || there != *stored {
				t.Fatalf("legacy login of %s: token %.20q..., want the token stored here", u.email, there)
			}
			t.Logf("legacy login of %s (signed up here): 200, the token stored here (%d characters)", u.email, len(there))
			if hereToken := login(t, here.URL, u.email, u.password).Token; hereToken != there {
				t.Errorf("login here of %s: %.20q..., want the legacy app's %.20q...", u.email, hereToken, there)
			}
			wantServed(t, u.email+"'s token", there, legacy, here.URL)
		}
	})

	t.Run("signed up on the legacy app, served here", func(t *testing.T) {
		if status, e := legacyClient.REST(t, http.MethodPost, "/v1/users", jsonHeader,
			`{"username": "erin", "email": "erin@example.com", "password": "erinpass12"}`); status != http.StatusOK {
			t.Fatalf("legacy sign-up: %d %+v", status, e)
		}
		there := login(t, legacy, "erin@example.com", "erinpass12").Token
		var out struct {
			Login struct {
				Token     string
				ExpiresAt *time.Time
			}
		}
		here.GraphQL(t, "", `mutation { login(email: "erin@example.com", password: "erinpass12") { token expiresAt } }`, nil).Decode(t, &out)
		if out.Login.Token != there || out.Login.ExpiresAt != nil {
			t.Errorf("GraphQL login here: %.20q... expiresAt %v; want the legacy app's token %.20q... and null", out.Login.Token, out.Login.ExpiresAt, there)
		}
		wantServed(t, "the legacy app's token for erin", there, legacy, here.URL)
		var me struct{ Me struct{ Email string } }
		here.GraphQL(t, there, `{ me { email } }`, nil).Decode(t, &me)
		if me.Me.Email != "erin@example.com" {
			t.Errorf("me here with the legacy app's token: %+v", me)
		}
	})

	t.Run("logout here revokes here, not on the legacy app", func(t *testing.T) {
		old := login(t, here.URL, "carol@example.com", "carolpass1").Token
		if r := here.GraphQL(t, old, `mutation { logout }`, nil); string(r.Field("logout")) != "true" {
			t.Fatalf("logout here: %s", r.Body)
		}
		if status, code := authorized(t, here.URL, old); status != http.StatusUnauthorized || code != 99 {
			t.Errorf("here, the token after logout: %d/%d, want 401/99", status, code)
		}
		// Documented: the legacy app only decrypts tokens, so nothing done
		// here revokes one there.
		status, code := authorized(t, legacy, old)
		if status != http.StatusOK {
			t.Errorf("legacy app, the token after logout here: %d/%d; the runbook says it still works there", status, code)
		}
		t.Logf("the old token after logout here: here 401/99, legacy app %d/%d", status, code)
		sid, stored := here.StoredSession(t, "carol@example.com")
		apptest.CheckLegacySession(t, sid, stored)
		renewed := login(t, here.URL, "carol@example.com", "carolpass1").Token
		if renewed == old || renewed != *stored || login(t, legacy, "carol@example.com", "carolpass1").Token != renewed {
			t.Errorf("after logout both services should answer the new stored token")
		}
		wantServed(t, "carol's token after logout", renewed, legacy, here.URL)
	})

	t.Run("signed up here with coexistence off", func(t *testing.T) {
		cfg := apptest.CoexistenceConfig(t)
		cfg.LegacyCoexistence = false
		off := startHereWith(t, dbURL, cfg)
		off.SignUp(t, "frank", "frank@example.com", "frankpass1")
		offSID, offToken := off.StoredSession(t, "frank@example.com")
		apptest.CheckSession(t, "frank@example.com", offSID, offToken, false)
		// A token of our own key means nothing to the legacy app.
		ours := off.Login(t, "frank@example.com", "frankpass1")
		ownStatus, _, ownBody := legacyClient.Do(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {ours}}, "")
		t.Logf("legacy GET /v1/users with a token of our key: %d %.80s", ownStatus, ownBody)
		if ownStatus == http.StatusOK {
			t.Errorf("the legacy app accepted a token of our key")
		}
		status, e := legacyClient.REST(t, http.MethodGet, "/v1/users/self/login", jsonHeader, `{"email": "frank@example.com", "password": "frankpass1"}`)
		t.Logf("legacy login of frank (signed up with coexistence off): %d, data %s", status, e.Data)
		if status != http.StatusOK || !regexp.MustCompile(`"token": ?null`).Match(e.Data) {
			t.Errorf("legacy login of frank: %d %s; want 200 with a null token", status, e.Data)
		}
		token := login(t, here.URL, "frank@example.com", "frankpass1").Token
		sid, stored := here.StoredSession(t, "frank@example.com")
		apptest.CheckLegacySession(t, sid, stored)
		if there := login(t, legacy, "frank@example.com", "frankpass1").Token; there != token {
			t.Errorf("legacy login after a login here with coexistence on: %.20q..., want %.20q...", there, token)
		}
		wantServed(t, "frank's token", token, legacy, here.URL)
	})

	// What SECURITY.md says the canary exposes: the legacy app accepts any
	// token of the public key and lists every user's stored token, which
	// works here too while coexistence is on.
	t.Run("the legacy app hands out the stored tokens", func(t *testing.T) {
		forged := apptest.MintToken(t, fernet.MustDecodeKeys(config.LegacyKey)[0], "anything", time.Now())
		status, e := legacyClient.REST(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {forged}}, "")
		var users []restUser
		if status != http.StatusOK || json.Unmarshal(e.Data, &users) != nil {
			t.Fatalf("legacy GET /v1/users with a forged token: %d %+v", status, e)
		}
		_, stored := here.StoredSession(t, "dave@example.com")
		for _, u := range users {
			if u.Email == "dave@example.com" && stored != nil && u.Token == *stored {
				t.Logf("legacy GET /v1/users with a token forged over %q: 200, %d users with their stored tokens", "anything", len(users))
				wantServed(t, "dave's token as the legacy list gave it", u.Token, legacy, here.URL)
				return
			}
		}
		t.Errorf("the legacy list did not hold dave's stored token: %+v", users)
	})

	t.Run("compare, read-only, on the shared database", func(t *testing.T) {
		// The users the recordings log in as: one signed up here, one there.
		here.SignUp(t, "test1", "test1@gmail.com", "test1234")
		if status, e := legacyClient.REST(t, http.MethodPost, "/v1/users", jsonHeader,
			`{"username": "test2", "email": "test2@gmail.com", "password": "test1234", "info": {"phone": "123", "n": 1}}`); status != http.StatusOK {
			t.Fatalf("legacy sign-up: %d %+v", status, e)
		}
		runCompare(t, "--legacy", legacy, "--new", here.URL, "--departures", departures, golden, newDir)
	})
}
