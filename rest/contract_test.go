package rest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// exchange is one recorded request/response of the legacy app.
type exchange struct {
	name    string
	method  string
	path    string
	header  http.Header
	body    string
	status  int
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
		h := ex.header.Clone()
		if a := h.Get("Authorization"); tokens[a] != "" {
			h.Set("Authorization", tokens[a])
		}
		status, header, body := srv.Do(t, ex.method, ex.path, h, ex.body)
		t.Run(ex.name, func(t *testing.T) {
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body is not a JSON object: %v\n%s", err, body)
			}
			want, wantStatus := ex.expBody, ex.status
			if d, ok := departures[ex.name]; ok {
				want, wantStatus = map[string]any{"meta": d.Meta}, d.Status
			}
			if status != wantStatus {
				t.Errorf("status = %d, want %d\nbody: %s", status, wantStatus, body)
			}
			compareBody(t, ex, want, got, tokens)
		})
	}
}

func compareBody(t *testing.T, ex exchange, want, got map[string]any, tokens map[string]string) {
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
	login := strings.HasPrefix(ex.path, "/v1/users/self/login")
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

// sameDescription compares meta.description. For validation errors (88 with
// per-field messages) one message may be a string or a one-item list, and the
// order within a field may differ: cerberus 1.3 sorts by rule name, while the
// documented legacy API (the seed README) puts the regex message first.
func sameDescription(code, want, got any) bool {
	wf, wok := want.(map[string]any)
	gf, gok := got.(map[string]any)
	if code != float64(88) || !wok || !gok {
		return reflect.DeepEqual(want, got)
	}
	if len(wf) != len(gf) {
		return false
	}
	for field, w := range wf {
		a, b := messages(w), messages(gf[field])
		slices.Sort(a)
		slices.Sort(b)
		if len(a) == 0 || !slices.Equal(a, b) {
			return false
		}
	}
	return true
}

func messages(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, m := range v {
			s, _ := m.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
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

type departure struct {
	Status int            `json:"status"`
	Meta   map[string]any `json:"meta"`
}

func loadDepartures(t *testing.T) map[string]departure {
	t.Helper()
	b, err := os.ReadFile("testdata/departures.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]departure{}
	for name, msg := range raw {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var d departure
		if err := json.Unmarshal(msg, &d); err != nil {
			t.Fatalf("departures %s: %v", name, err)
		}
		out[name] = d
	}
	return out
}

// loadGolden reads every recorded exchange, in file-name order (the order they
// were recorded in, on one database).
func loadGolden(t *testing.T) []exchange {
	t.Helper()
	byName := map[string]string{}
	for _, dir := range goldenDirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		for _, f := range files {
			if _, seen := byName[filepath.Base(f)]; !seen {
				byName[filepath.Base(f)] = f
			}
		}
	}
	if len(byName) == 0 {
		t.Fatal("no golden files found")
	}
	names := sortedKeys(anyMap(byName))
	out := make([]exchange, 0, len(names))
	for _, name := range names {
		out = append(out, parseGolden(t, name, byName[name]))
	}
	return out
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// parseGolden reads "$ curl ...", a blank line, then the raw HTTP response.
func parseGolden(t *testing.T, name, path string) exchange {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd, rest, ok := strings.Cut(string(b), "\n")
	if !ok || !strings.HasPrefix(cmd, "$ curl ") {
		t.Fatalf("%s: first line is not a curl command", name)
	}
	ex := exchange{name: name, method: http.MethodGet, header: http.Header{}}
	args := shellWords(t, strings.TrimPrefix(cmd, "$ curl "))
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-X":
			i++
			ex.method = args[i]
		case "-H":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			ex.header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-d":
			i++
			ex.body = args[i]
			if ex.method == http.MethodGet && !slices.Contains(args, "-X") {
				ex.method = http.MethodPost
			}
			if ex.header.Get("Content-Type") == "" {
				ex.header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		default:
			if strings.HasPrefix(a, "http") {
				i := strings.Index(a[len("http://"):], "/")
				ex.path = a[len("http://")+i:]
			}
		}
	}
	sc := bufio.NewScanner(strings.NewReader(strings.TrimLeft(rest, "\n")))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan()
	fields := strings.Fields(sc.Text())
	if len(fields) < 2 {
		t.Fatalf("%s: no status line", name)
	}
	ex.status, _ = strconv.Atoi(fields[1])
	for sc.Scan() && sc.Text() != "" { // headers
	}
	var body strings.Builder
	for sc.Scan() {
		body.WriteString(sc.Text())
	}
	if err := json.Unmarshal([]byte(body.String()), &ex.expBody); err != nil {
		t.Fatalf("%s: body: %v", name, err)
	}
	return ex
}

// shellWords splits a command line as a POSIX shell would (quotes, escapes).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
