package exchange

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseLogLine(t *testing.T) {
	tests := []struct {
		name, line, method, target string
	}{
		{"common", `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /v1/users/1 HTTP/1.0" 200 2326`, "GET", "/v1/users/1"},
		{"combined with query", `10.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "GET /v1/users?limit=2&after=3 HTTP/1.1" 200 273 "-" "curl/8.5.0"`, "GET", "/v1/users?limit=2&after=3"},
		{"HTTP/0.9 request line", `h - - [d] "GET /"`, "GET", "/"},
		{"nginx \\x escape", `h - - [d] "GET /v1/users/\x22x\x22 HTTP/1.1" 404 0`, "GET", `/v1/users/"x"`},
		{"apache \\\" escape", `h - - [d] "GET /a\"b HTTP/1.1" 404 0`, "GET", `/a"b`},
		{"absolute form", `h - - [d] "GET http://example.test/v1/users?x=1 HTTP/1.1" 200 1`, "GET", "/v1/users?x=1"},
		{"heroku router", `2026-11-25T18:58:22+00:00 heroku[router]: at=info method=POST path="/v1/users" host=x.herokuapp.com fwd="1.2.3.4" status=200 bytes=54`, "POST", "/v1/users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := ParseLogLine(tt.line)
			if err != nil {
				t.Fatalf("ParseLogLine: %v", err)
			}
			if ex.Method != tt.method || ex.Target != tt.target || ex.Body != "" || len(ex.Header) != 0 || ex.Recorded != nil {
				t.Errorf("got %+v, want %s %s", ex, tt.method, tt.target)
			}
		})
	}
}

func TestParseLogLineErrors(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"no request", `h - - [d] 200 0`, "neither"},
		{"TLS bytes logged as a request", `h - - [d] "\x16\x03\x01\x02\x00" 400 0`, "not METHOD TARGET"},
		{"dash request", `h - - [d] "-" 400 0`, "not METHOD TARGET"},
		{"bad method", `h - - [d] "G{T / HTTP/1.1" 400 0`, "not an HTTP method"},
		{"not a path", `h - - [d] "CONNECT example.test:443 HTTP/1.1" 400 0`, "neither a path"},
		{"no closing quote", `h - - [d] "GET / HTTP/1.1`, "no closing quote"},
		{"bad escape", `h - - [d] "GET /\xZZ HTTP/1.1" 400 0`, "bad escape"},
		{"space in target", `h - - [d] "GET /a\x20b HTTP/1.1" 400 0`, "not METHOD TARGET"},
		{"heroku without path", `at=info method=GET status=200`, "without method= and path="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLogLine(tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseLogLine(%q) error = %v, want one containing %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestReadAccessLog(t *testing.T) {
	log := strings.Join([]string{
		`h - - [d] "GET / HTTP/1.1" 200 76`,
		``,
		`garbage`,
		`h - - [d] "HEAD /v1/users HTTP/1.1" 401 0`,
	}, "\n")
	var got []string
	for ex, err := range ReadAccessLog(strings.NewReader(log)) {
		var ee *EntryError
		switch {
		case errors.As(err, &ee):
			got = append(got, "error "+ee.Name)
		case err != nil:
			t.Fatalf("fatal error: %v", err)
		default:
			got = append(got, ex.Name+" "+ex.Method+" "+ex.Target)
		}
	}
	want := []string{"line 1 GET /", "error line 3", "line 4 HEAD /v1/users"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	long := strings.Repeat("x", maxLogLine+1)
	var fatal error
	for _, err := range ReadAccessLog(strings.NewReader(long)) {
		fatal = err
	}
	var ee *EntryError
	if fatal == nil || errors.As(fatal, &ee) {
		t.Errorf("over-long line: error = %v, want a fatal one", fatal)
	}
}

const harDoc = `{"log": {"version": "1.2", "entries": [
  {"request": {"method": "GET", "url": "http://127.0.0.1:5000/v1/users?limit=1", "httpVersion": "HTTP/2",
    "headers": [{"name": ":authority", "value": "x"}, {"name": "Authorization", "value": "tok"}]},
   "response": {"status": 200, "headers": [{"name": "Content-Type", "value": "application/json"}],
    "content": {"mimeType": "application/json", "text": "{\"meta\": {\"code\": 200}}"}}},
  {"request": {"method": "POST", "url": "https://h/v1/users", "headers": [],
    "postData": {"mimeType": "application/json", "text": "{\"username\": \"a\"}"}},
   "response": {"status": 400, "headers": [], "content": {"text": "eyJhIjogMX0=", "encoding": "base64"}}},
  {"request": {"method": "POST", "url": "http://h/v1/users/self/login", "headers": [],
    "postData": {"mimeType": "application/x-www-form-urlencoded", "params": [{"name": "email", "value": "a@b.co"}, {"name": "password", "value": "p w"}]}}},
  {"request": {"method": "GET", "url": "data:image/png;base64,AAAA", "headers": []}},
  {"request": {"method": "GET", "url": "http://h/", "headers": [{"name": "X", "value": "a\r\nb"}]}}
]}}`

func TestParseHAR(t *testing.T) {
	seq, err := ParseHAR([]byte(harDoc))
	if err != nil {
		t.Fatal(err)
	}
	var exs []Exchange
	var bad []string
	for ex, err := range seq {
		var ee *EntryError
		if errors.As(err, &ee) {
			bad = append(bad, ee.Name)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		exs = append(exs, ex)
	}
	want := []Exchange{
		{Name: "entry 1", Method: "GET", Target: "/v1/users?limit=1", Header: http.Header{"Authorization": {"tok"}},
			Recorded: &Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"meta": {"code": 200}}`)}},
		{Name: "entry 2", Method: "POST", Target: "/v1/users", Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"username": "a"}`,
			Recorded: &Response{Status: 400, Header: http.Header{}, Body: []byte(`{"a": 1}`)}},
		{Name: "entry 3", Method: "POST", Target: "/v1/users/self/login", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			Body: "email=a%40b.co&password=p+w"},
	}
	if !reflect.DeepEqual(exs, want) {
		t.Errorf("entries\n got %+v\nwant %+v", exs, want)
	}
	if !reflect.DeepEqual(bad, []string{"entry 4", "entry 5"}) {
		t.Errorf("unreadable entries = %v, want entry 4 (data: URL) and entry 5 (header with a line break)", bad)
	}
}

func TestParseHARErrors(t *testing.T) {
	for _, doc := range []string{``, `[]`, `{}`, `{"log": {"entries": {}}}`, `{"log": {"entries": [{"request": {"method": 1}}]}}`} {
		if _, err := ParseHAR([]byte(doc)); err == nil {
			t.Errorf("ParseHAR(%s): no error", doc)
		}
	}
}
