package exchange

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseCurl(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		want Exchange
	}{
		{"plain GET", "curl -sS -i http://127.0.0.1:5000/",
			Exchange{Method: "GET", Target: "/", Header: http.Header{}}},
		{"POST with JSON", `curl -sS -i -X POST http://127.0.0.1:5000/v1/users -H 'Content-Type: application/json' -d '{"username": "test1"}'`,
			Exchange{Method: "POST", Target: "/v1/users", Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"username": "test1"}`}},
		{"GET with a body stays GET", `curl -X GET http://h/v1/users/self/login -H 'Content-Type: application/json' -d '{"email": "a@b.co"}'`,
			Exchange{Method: "GET", Target: "/v1/users/self/login", Header: http.Header{"Content-Type": {"application/json"}}, Body: `{"email": "a@b.co"}`}},
		{"-d alone means a form POST", `curl localhost:5000/v1/users/self/login -d email=a@b.co -d password=x`,
			Exchange{Method: "POST", Target: "/v1/users/self/login", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: "email=a@b.co&password=x"}},
		{"attached option values", `curl -XPUT -H"Authorization: tok" http://h/v1/users`,
			Exchange{Method: "PUT", Target: "/v1/users", Header: http.Header{"Authorization": {"tok"}}}},
		{"long options with =", `curl --request=DELETE --header='X-A: 1' https://h:8443/v1/users?x=1#frag`,
			Exchange{Method: "DELETE", Target: "/v1/users?x=1", Header: http.Header{"X-A": {"1"}}}},
		{"-G moves data to the query", `curl -G http://h/v1/users/self/login?a=1 -d email=a@b.co`,
			Exchange{Method: "GET", Target: "/v1/users/self/login?a=1&email=a@b.co", Header: http.Header{}}},
		{"double quotes and escapes", `curl "http://h/v1/users" -H "Authorization: a\"b" -d "{\"x\": \"\$y\\\\\"}" -A 'agent 1'`,
			Exchange{Method: "POST", Target: "/v1/users", Header: http.Header{"Authorization": {`a"b`}, "Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {"agent 1"}}, Body: `{"x": "$y\\"}`}},
		{"URL without path", `curl http://h?q=1`,
			Exchange{Method: "GET", Target: "/?q=1", Header: http.Header{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCurl(tt.cmd)
			if err != nil {
				t.Fatalf("ParseCurl: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseCurl(%s)\n got %+v\nwant %+v", tt.cmd, got, tt.want)
			}
		})
	}
}

func TestParseCurlErrors(t *testing.T) {
	tests := []struct{ name, cmd, want string }{
		{"not curl", "wget http://h/", "not a curl command"},
		{"no URL", "curl -sS -i", "no URL"},
		{"two URLs", "curl http://a/ http://b/", "two URLs"},
		{"unknown option", "curl --max-time 5 http://h/", "unsupported curl option"},
		{"missing value", "curl http://h/ -H", "needs a value"},
		{"body from a file", "curl http://h/ -d @body.json", "@file"},
		{"bad method", "curl -X 'GE T' http://h/", "not an HTTP method"},
		{"header without colon", "curl -H 'nocolon' http://h/", "not a header"},
		{"header with a line break", "curl -H \"X: a\nb\" http://h/", "not a header"},
		{"unterminated quote", `curl 'http://h/`, "unterminated single quote"},
		{"unterminated double quote", `curl "http://h/`, "unterminated double quote"},
		{"not http", "curl ftp://h/file", "neither a path nor an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCurl(tt.cmd)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseCurl(%q) error = %v, want one containing %q", tt.cmd, err, tt.want)
			}
		})
	}
}

func TestParseGolden(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		want     Exchange
		recorded *Response
	}{
		{
			name: "with answer",
			file: "$ curl -sS -i http://127.0.0.1:5000/v1/users -H 'Authorization: t'\n\nHTTP/1.1 401 Unauthorized\nServer: gunicorn\ncontent-type: application/json\n\n{\"meta\": {\"code\": 99}}\n",
			want: Exchange{Name: "f.txt", Method: "GET", Target: "/v1/users", Header: http.Header{"Authorization": {"t"}}},
			recorded: &Response{Status: 401, Header: http.Header{"Server": {"gunicorn"}, "Content-Type": {"application/json"}},
				Body: []byte(`{"meta": {"code": 99}}`)},
		},
		{
			name:     "CRLF and a continued command",
			file:     "$ curl -X POST http://h/v1/users \\\r\n  -d '{}'\r\n\r\nHTTP/1.1 200 OK\r\n\r\n{}",
			want:     Exchange{Name: "f.txt", Method: "POST", Target: "/v1/users", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: "{}"},
			recorded: &Response{Status: 200, Header: http.Header{}, Body: []byte("{}")},
		},
		{
			name: "request only",
			file: "$ curl http://h/v1/users\n",
			want: Exchange{Name: "f.txt", Method: "GET", Target: "/v1/users", Header: http.Header{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGolden("f.txt", []byte(tt.file))
			if err != nil {
				t.Fatalf("ParseGolden: %v", err)
			}
			rec := got.Recorded
			got.Recorded = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("request\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(rec, tt.recorded) {
				t.Errorf("recorded\n got %+v\nwant %+v", rec, tt.recorded)
			}
		})
	}
}

func TestParseGoldenErrors(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"no prompt", "curl http://h/\n", `does not start with "$ curl "`},
		{"bad command", "$ curl -sS\n", "no URL"},
		{"no status line", "$ curl http://h/\n\n{}\n", "does not start with HTTP/"},
		{"no status code", "$ curl http://h/\n\nHTTP/1.1 OK\n", "no status code"},
		{"bad header", "$ curl http://h/\n\nHTTP/1.1 200 OK\nnot a header\n\n{}", "header line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGolden("f.txt", []byte(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "f.txt: ") {
				t.Errorf("error = %v, want one naming f.txt and containing %q", err, tt.want)
			}
		})
	}
}

// TestReadGoldenRecordings reads the real recordings: every file parses, in
// name order, and the first and a login keep what the contract relies on.
func TestReadGoldenRecordings(t *testing.T) {
	exs, err := ReadGolden("../../rest/testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) < 20 {
		t.Fatalf("read %d exchanges, want the 21 recordings", len(exs))
	}
	for i := 1; i < len(exs); i++ {
		if exs[i-1].Name >= exs[i].Name {
			t.Errorf("order: %s before %s", exs[i-1].Name, exs[i].Name)
		}
	}
	byName := map[string]Exchange{}
	for _, ex := range exs {
		if ex.Recorded == nil {
			t.Errorf("%s: no recorded answer", ex.Name)
		}
		byName[ex.Name] = ex
	}
	login := byName["20-login-json.txt"]
	if login.Method != "GET" || login.Target != "/v1/users/self/login" || !strings.Contains(login.Body, "test1@gmail.com") ||
		login.Recorded.Status != 200 || !strings.Contains(string(login.Recorded.Body), `"token": "gAAAAA`) {
		t.Errorf("20-login-json.txt = %+v", login)
	}
}

func TestReadGoldenPaths(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write := func(dir, name, target string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte("$ curl http://h"+target+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "02-b.txt", "/a2")
	write(b, "02-b.txt", "/b2")
	write(b, "01-a.txt", "/b1")
	write(b, "notes.md", "/ignored")
	single := filepath.Join(t.TempDir(), "03-c.txt")
	if err := os.WriteFile(single, []byte("$ curl http://h/c3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	exs, err := ReadGolden(a, b, single)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ex := range exs {
		got = append(got, ex.Name+" "+ex.Target)
	}
	want := []string{"01-a.txt /b1", "02-b.txt /a2", "03-c.txt /c3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v (name order, first path wins)", got, want)
	}
	if _, err := ReadGolden(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no recorded exchanges") {
		t.Errorf("empty directory: error = %v", err)
	}
	if _, err := ReadGolden(filepath.Join(a, "missing")); err == nil {
		t.Error("missing path: no error")
	}
}

func TestParseDepartures(t *testing.T) {
	got, err := ReadDepartures("../../rest/testdata/departures.json")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := got["10-create-malformed-json.txt"]
	if !ok || d.Status != 400 || d.Meta["code"] != float64(88) {
		t.Errorf("10-create-malformed-json.txt = %+v", d)
	}
	if _, ok := got["_doc"]; ok {
		t.Error("_doc was read as a departure")
	}
	for _, bad := range []string{`[]`, `{"x": {"status": "400"}}`, `{"x": {"status": 400}}`, `{"x": {"meta": {}}}`} {
		if _, err := ParseDepartures([]byte(bad)); err == nil {
			t.Errorf("ParseDepartures(%s): no error", bad)
		}
	}
}
