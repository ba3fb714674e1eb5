package rest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/compare"
	"users/internal/exchange"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// recorded is one recorded request/response of the legacy app, with the
// answer's body decoded.
type recorded struct {
	exchange.Exchange
	expBody map[string]any
}

// goldenDirs are where recorded exchanges live: our copy, and the shared
// originals when they sit beside the checkout (new recordings count at once).
var goldenDirs = []string{"testdata/golden", "../../shared/legacy/golden"}

// TestGoldenContract replays every recorded legacy exchange, in order, against
// one fresh server and database, and compares status, meta and data. Tokens,
// ids and timestamps are compared by shape; departures.json lists the answers
// we change on purpose.
func TestGoldenContract(t *testing.T) {
	exchanges := loadGolden(t)
	departures := loadDepartures(t)
	srv := apptest.Start(t, apptest.Config())

	tokens := map[string]string{} // legacy token -> the one our server issued in its place
	for _, ex := range exchanges {
		h := ex.Header.Clone()
		if a := h.Get("Authorization"); tokens[a] != "" {
			h.Set("Authorization", tokens[a])
		}
		status, header, body := srv.Do(t, ex.Method, ex.Target, h, ex.Body)
		t.Run(ex.Name, func(t *testing.T) {
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body is not a JSON object: %v\n%s", err, body)
			}
			want, wantStatus := ex.expBody, ex.Recorded.Status
			if d, ok := departures[ex.Name]; ok {
				want, wantStatus = map[string]any{"meta": d.Meta}, d.Status
			}
			if status != wantStatus {
				t.Errorf("status = %d, want %d\nbody: %s", status, wantStatus, body)
			}
			compareBody(t, ex, want, got, tokens)
		})
	}
}

func compareBody(t *testing.T, ex recorded, want, got map[string]any, tokens map[string]string) {
	t.Helper()
	wantMeta, ok := want["meta"].(map[string]any)
	if !ok { // GET /: the banner, without envelope
		if got["server"] != want["server"] {
			t.Errorf("server = %v, want %v", got["server"], want["server"])
		}
		if db, _ := got["database"].(string); !strings.HasPrefix(db, "postgresql (") || len(got) != 2 {
			t.Errorf("banner = %v, want {server, database: postgresql (host)}", got)
		}
		return
	}
	gotMeta, _ := got["meta"].(map[string]any)
	for _, k := range []string{"code", "message"} {
		if gotMeta[k] != wantMeta[k] {
			t.Errorf("meta.%s = %v, want %v", k, gotMeta[k], wantMeta[k])
		}
	}
	if !sameDescription(wantMeta["code"], wantMeta["description"], gotMeta["description"]) {
		t.Errorf("meta.description = %#v, want %#v", gotMeta["description"], wantMeta["description"])
	}
	wantData, wantHas := want["data"]
	gotData, gotHas := got["data"]
	if wantHas != gotHas {
		t.Fatalf("data present = %v, want %v", gotHas, wantHas)
	}
	login := strings.HasPrefix(ex.Target, "/v1/users/self/login")
	switch w := wantData.(type) {
	case nil:
		if gotData != nil {
			t.Errorf("data = %v, want null", gotData)
		}
	case map[string]any:
		g, _ := gotData.(map[string]any)
		compareUser(t, "data", w, g, login, tokens)
	case []any:
		g, _ := gotData.([]any)
		if len(g) != len(w) {
			t.Fatalf("len(data) = %d, want %d", len(g), len(w))
		}
		for i := range w {
			wu, _ := w[i].(map[string]any)
			gu, _ := g[i].(map[string]any)
			compareUser(t, fmt.Sprintf("data[%d]", i), wu, gu, false, tokens)
		}
	}
}

// compareUser checks a user object key by key. Timestamps are compared by
// shape, tokens by shape (and remembered, to stand in for the legacy token in
// later requests). Outside login, legacy leaked every user's token: we never
// send one there.
func compareUser(t *testing.T, at string, want, got map[string]any, login bool, tokens map[string]string) {
	t.Helper()
	want = maps(want)
	if !login {
		delete(want, "token")
	}
	if !slices.Equal(sortedKeys(got), sortedKeys(want)) {
		t.Errorf("%s keys = %v, want %v", at, sortedKeys(got), sortedKeys(want))
	}
	for k, w := range want {
		g := got[k]
		switch k {
		case "created", "modified":
			if n, ok := g.(float64); !ok || n < 1e9 || n != float64(int64(n)) {
				t.Errorf("%s.%s = %v, want unix seconds", at, k, g)
			}
		case "token":
			s, ok := g.(string)
			if !ok || !strings.HasPrefix(s, "gAAAAA") {
				t.Errorf("%s.token = %v, want a Fernet token", at, g)
			}
			tokens[w.(string)] = s
		default:
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s.%s = %#v, want %#v", at, k, g, w)
			}
		}
	}
}

// sameDescription compares meta.description: validation messages (code 88)
// as compare.SameFieldMessages does, anything else exactly.
func sameDescription(code, want, got any) bool {
	if code == float64(88) && compare.SameFieldMessages(want, got) {
		return true
	}
	return reflect.DeepEqual(want, got)
}

func maps(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func loadDepartures(t *testing.T) map[string]exchange.Departure {
	t.Helper()
	d, err := exchange.ReadDepartures("testdata/departures.json")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// loadGolden reads every recorded exchange, in file-name order (the order they
// were recorded in, on one database).
func loadGolden(t *testing.T) []recorded {
	t.Helper()
	var dirs []string
	for _, d := range goldenDirs {
		if _, err := os.Stat(d); err == nil {
			dirs = append(dirs, d)
		}
	}
	exs, err := exchange.ReadGolden(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]recorded, 0, len(exs))
	for _, ex := range exs {
		if ex.Recorded == nil {
			t.Fatalf("%s: no recorded answer", ex.Name)
		}
		r := recorded{Exchange: ex}
		if err := json.Unmarshal(ex.Recorded.Body, &r.expBody); err != nil {
			t.Fatalf("%s: body: %v", ex.Name, err)
		}
		out = append(out, r)
	}
	return out
}
