package compare_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/compare"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	golden     = "../../rest/testdata/golden"
	departures = "../../rest/testdata/departures.json"
)

// report is the --json output.
type report struct {
	OK      bool           `json:"ok"`
	Summary map[string]int `json:"summary"`
	Routes  []struct {
		Route    string `json:"route"`
		Requests int    `json:"requests"`
	} `json:"routes"`
	Results []struct {
		Name      string `json:"name"`
		Method    string `json:"method"`
		Outcome   string `json:"outcome"`
		Departure string `json:"departure"`
		Diffs     []struct{ Field, Legacy, New string }
		Error     string `json:"error"`
	} `json:"results"`
	Unreadable []string `json:"unreadable"`
}

// runCompare runs `server compare args...` and returns its report (with
// --json), stderr and exit status.
func runCompare(t *testing.T, args ...string) (report, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := compare.Main(t.Context(), append([]string{"--json"}, args...), strings.NewReader(""), &stdout, &stderr)
	code := 0
	var ee *compare.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case err != nil:
		t.Fatalf("compare: %v", err)
	}
	var rep report
	if code != 2 {
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
		}
	}
	return rep, stderr.String(), code
}

// outcomes maps each non-same result's name to "outcome" or
// "outcome/departure".
func outcomes(rep report) map[string]string {
	out := map[string]string{}
	for _, r := range rep.Results {
		o := r.Outcome
		if r.Departure != "" {
			o += "/" + r.Departure
		}
		out[r.Name] = o
	}
	return out
}

// TestAgainstItself replays every recording, writes included, on two
// instances of this service, each on its own fresh database: nothing differs.
func TestAgainstItself(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t, apptest.Config()), apptest.Start(t, apptest.Config())
	rep, stderr, code := runCompare(t, "--legacy", a.URL, "--new", b.URL, "--allow-writes", "--departures", departures, golden)
	if code != 0 || !rep.OK {
		t.Fatalf("exit %d, ok %v, results %+v\nstderr: %s", code, rep.OK, rep.Results, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(golden, "*.txt"))
	if rep.Summary["requests"] != len(files) || rep.Summary["same"] != len(files) {
		t.Errorf("summary %v, want all %d requests the same", rep.Summary, len(files))
	}
}

// TestDifferentState runs the recordings on two instances whose databases
// differ by one user, signed up first on one of them: the list of users
// differs, and so does user 1; compare fails.
func TestDifferentState(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t, apptest.Config()), apptest.Start(t, apptest.Config())
	b.SignUp(t, "test3", "test3@gmail.com", "test1234")
	rep, _, code := runCompare(t, "--legacy", a.URL, "--new", b.URL, "--allow-writes", "--departures", departures, golden)
	if code != 1 || rep.OK {
		t.Fatalf("exit %d, ok %v: want 1 and false", code, rep.OK)
	}
	want := map[string]string{"32-users-valid-token.txt": "difference", "34-user-1.txt": "difference"}
	if got := outcomes(rep); !equalMaps(got, want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	d := rep.Results[0].Diffs
	if len(d) != 1 || d[0].Field != "data" || d[0].Legacy != "2 items" || d[0].New != "3 items" {
		t.Errorf("32: diffs %+v, want data: 2 items, 3 items", d)
	}
	d = rep.Results[1].Diffs
	if len(d) != 2 || d[0].Field != "data.email" || d[0].New != `"test3@gmail.com"` || d[1].Field != "data.username" {
		t.Errorf("34: diffs %+v, want the email and username of test3", d)
	}
}

// TestRecordedLegacyAnswers compares this service with the legacy answers
// recorded in the golden files: every difference is a deliberate departure,
// each explained by the entry or rule the README documents.
func TestRecordedLegacyAnswers(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	rep, stderr, code := runCompare(t, "--recorded", "--new", srv.URL, "--allow-writes", "--departures", departures, golden)
	if code != 0 {
		t.Fatalf("exit %d, results %+v\nstderr: %s", code, rep.Results, stderr)
	}
	want := map[string]string{
		"03-create-duplicate.txt":      "departure/departures.json",
		"04-create-invalid.txt":        "departure/validation-shape",
		"05-create-missing-fields.txt": "departure/validation-shape",
		"07-create-unknown-field.txt":  "departure/validation-shape",
		"08-create-wrong-types.txt":    "departure/validation-shape",
		"10-create-malformed-json.txt": "departure/departures.json",
		"31-users-garbage-token.txt":   "departure/departures.json",
		"32-users-valid-token.txt":     "departure/token-withheld",
		"34-user-1.txt":                "departure/token-withheld",
		"47-unknown-path.txt":          "departure/departures.json",
	}
	if got := outcomes(rep); !equalMaps(got, want) {
		t.Errorf("results\n got %v\nwant %v", got, want)
	}
}

// TestReadOnlyByDefault: without --allow-writes only GET, HEAD and OPTIONS
// are sent, so neither database gets a row.
func TestReadOnlyByDefault(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t, apptest.Config()), apptest.Start(t, apptest.Config())
	rep, _, code := runCompare(t, "--legacy", a.URL, "--new", b.URL, "--departures", departures, golden)
	if code != 0 {
		t.Fatalf("exit %d, results %+v", code, rep.Results)
	}
	if rep.Summary["skipped"] != 11 || rep.Summary["requests"]-rep.Summary["skipped"] != rep.Summary["same"] {
		t.Errorf("summary %v: want the 11 writes skipped and the rest the same", rep.Summary)
	}
	for _, srv := range []*apptest.Server{a, b} {
		var n int
		if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&n); err != nil || n != 0 {
			t.Errorf("users in the database: %d (%v), want 0", n, err)
		}
	}
}

// TestConnectionFailure: a service that refuses connections is a failed
// request for each request, reported, with exit status 1.
func TestConnectionFailure(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	rep, _, code := runCompare(t, "--legacy", closed, "--new", srv.URL, "--departures", departures, golden)
	if code != 1 || rep.OK {
		t.Fatalf("exit %d, ok %v: want 1, false", code, rep.OK)
	}
	if rep.Summary["errors"] == 0 || rep.Summary["errors"] != rep.Summary["requests"]-rep.Summary["skipped"] {
		t.Errorf("summary %v: want every request sent to be an error", rep.Summary)
	}
	for _, r := range rep.Results {
		if r.Outcome != "error" || !strings.Contains(r.Error, "legacy: ") || !strings.Contains(r.Error, "connection refused") {
			t.Errorf("%s: %s %q, want a refused connection on the legacy side", r.Name, r.Outcome, r.Error)
		}
	}
}

// TestHARAndAccessLog replays a HAR file (a login whose recorded token later
// requests carry) and an access log on two instances holding the same user.
func TestHARAndAccessLog(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t, apptest.Config()), apptest.Start(t, apptest.Config())
	for _, s := range []*apptest.Server{a, b} {
		s.SignUp(t, "harry", "harry@example.com", "secret123")
	}
	dir := t.TempDir()
	har := `{"log": {"entries": [
	  {"request": {"method": "GET", "url": "https://legacy.example/v1/users/self/login?email=harry@example.com&password=secret123", "headers": []},
	   "response": {"status": 200, "content": {"text": "{\"data\": {\"token\": \"gAAAAABrecorded\"}}"}}},
	  {"request": {"method": "GET", "url": "https://legacy.example/v1/users", "headers": [{"name": "Authorization", "value": "gAAAAABrecorded"}]}},
	  {"request": {"method": "GET", "url": "https://legacy.example/v1/users/1", "headers": [{"name": "Authorization", "value": "Bearer gAAAAABrecorded"}]}},
	  {"request": {"method": "GET", "url": "data:,x", "headers": []}}
	]}}`
	log := strings.Join([]string{
		`127.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "GET / HTTP/1.1" 200 76 "-" "curl/8.5.0"`,
		`127.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "GET /v1/users HTTP/1.1" 401 60 "-" "curl/8.5.0"`,
		`127.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "\x16\x03\x01" 400 0 "-" "-"`,
		`127.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "POST /v1/users HTTP/1.1" 200 54 "-" "curl/8.5.0"`,
	}, "\n")
	harPath, logPath := filepath.Join(dir, "session.har"), filepath.Join(dir, "access.log")
	if err := os.WriteFile(harPath, []byte(har), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, _, code := runCompare(t, "--legacy", a.URL, "--new", b.URL, harPath, logPath)
	if code != 0 || len(rep.Results) != 0 {
		t.Fatalf("exit %d, results %+v", code, rep.Results)
	}
	if s := rep.Summary; s["requests"] != 6 || s["same"] != 5 || s["skipped"] != 1 || s["unreadable"] != 2 {
		t.Errorf("summary %v, want 6 requests (5 same, the POST skipped) and 2 unreadable entries", s)
	}
	var routes []string
	for _, r := range rep.Routes {
		routes = append(routes, r.Route)
	}
	want := []string{"GET /v1/users/self/login", "GET /v1/users", "GET /v1/users/{id}", "GET /", "POST /v1/users"}
	if !slices.Equal(routes, want) {
		t.Errorf("routes %v, want %v", routes, want)
	}
}

// TestStdin reads an access log from standard input ("-").
func TestStdin(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	log := "h - - [d] \"GET / HTTP/1.1\" 200 1\nh - - [d] \"GET /v1/users/1 HTTP/1.1\" 401 1\n"
	var stdout bytes.Buffer
	err := compare.Main(t.Context(), []string{"--json", "--legacy", srv.URL, "--new", srv.URL, "-"}, strings.NewReader(log), &stdout, &bytes.Buffer{})
	var rep report
	if err != nil || json.Unmarshal(stdout.Bytes(), &rep) != nil {
		t.Fatalf("compare: %v\n%s", err, stdout.String())
	}
	if rep.Summary["requests"] != 2 || rep.Summary["same"] != 2 {
		t.Errorf("summary %v, want the 2 logged requests the same", rep.Summary)
	}
}

// TestTextReport checks the report for people and the progress lines.
func TestTextReport(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	var stdout, stderr bytes.Buffer
	err := compare.Main(context.Background(), []string{"--recorded", "--new", srv.URL, "--allow-writes",
		"--departures", departures, "--progress", "1ns", golden}, nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"Deliberate departures (10):",
		"  10-create-malformed-json.txt  POST /v1/users  [departures.json]\n      status: legacy 500, new 400\n",
		"  32-users-valid-token.txt  GET /v1/users  [token-withheld]\n",
		"\nPOST /v1/users                   8       2          6           0       0        0\n",
		"OK: no real difference (11 same, 10 deliberate departures)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Real differences") {
		t.Errorf("report has a real-differences section:\n%s", out)
	}
	if n := strings.Count(stderr.String(), "compare: "); n < 10 {
		t.Errorf("%d progress lines with --progress 1ns, want one per request:\n%s", n, stderr.String())
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no --new", []string{"--legacy", "http://a", golden}, "--new is required"},
		{"no legacy", []string{"--new", "http://a", golden}, "--legacy (or --recorded) is required"},
		{"both", []string{"--recorded", "--legacy", "http://a", "--new", "http://b", golden}, "exclude each other"},
		{"no input", []string{"--legacy", "http://a", "--new", "http://b"}, "no INPUT"},
		{"bad URL", []string{"--legacy", "a:5000", "--new", "http://b", golden}, "want a base URL"},
		{"missing input", []string{"--legacy", "http://a", "--new", "http://b", "nope.har"}, "no such file"},
		{"bad format", []string{"--legacy", "http://a", "--new", "http://b", "--format", "xml", departures}, "--format"},
		{"bad header", []string{"--header", "nocolon"}, "Name: value"},
		{"bad departures", []string{"--legacy", "http://a", "--new", "http://b", "--departures", golden + "/01-root.txt", golden}, "departures"},
		{"nothing to compare", []string{"--legacy", "http://a", "--new", "http://b", golden + "/02-create-valid.txt"}, "nothing compared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := compare.Main(t.Context(), tt.args, nil, &stdout, &stderr)
			var ee *compare.ExitError
			if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want exit 2 with %q", err, tt.want)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		var stdout bytes.Buffer
		if err := compare.Main(t.Context(), []string{"-h"}, nil, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"usage: server compare", "--allow-writes", "ONLY against throwaway databases", "Exit status"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("help lacks %q", want)
			}
		}
	})
}

// TestInterrupted: a run cut short (SIGINT) reports what it compared and
// exits 2, without counting the cut request as a failure.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout bytes.Buffer
	err := compare.Main(ctx, []string{"--json", "--legacy", "http://127.0.0.1:1", "--new", "http://127.0.0.1:1", golden}, nil, &stdout, &bytes.Buffer{})
	var ee *compare.ExitError
	if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(err.Error(), "interrupted after 0 requests") {
		t.Fatalf("error %v, want exit 2, interrupted", err)
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.Summary["errors"] != 0 {
		t.Errorf("report %s (%v), want one with no failed request", stdout.String(), err)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
