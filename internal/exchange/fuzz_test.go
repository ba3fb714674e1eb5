package exchange

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkExchange holds for every request a parser accepts: it can be sent.
func checkExchange(t *testing.T, ex Exchange) {
	t.Helper()
	if !validMethod(ex.Method) {
		t.Errorf("method %q accepted", ex.Method)
	}
	if _, err := url.ParseRequestURI(ex.Target); err != nil || !strings.HasPrefix(ex.Target, "/") {
		t.Errorf("target %q accepted: %v", ex.Target, err)
	}
	for k, vs := range ex.Header {
		for _, v := range vs {
			if !validMethod(k) || !validHeaderValue(v) {
				t.Errorf("header %q: %q accepted", k, v)
			}
		}
	}
}

func FuzzParseGolden(f *testing.F) {
	files, _ := filepath.Glob("../../rest/testdata/golden/*.txt")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("$ curl -XPOST \"http://h/a b\" -H'X: \\\"' -d @x -G --data-raw=@y\n\nHTTP/1.1 200\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ex, err := ParseGolden("f.txt", b)
		if err != nil {
			return
		}
		checkExchange(t, ex)
		if ex.Recorded != nil && (ex.Recorded.Status < 100 || ex.Recorded.Status > 999) {
			t.Errorf("status %d accepted", ex.Recorded.Status)
		}
	})
}

func FuzzParseHAR(f *testing.F) {
	f.Add([]byte(harDoc))
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "GET", "url": "http://h?#"}, "response": {"status": 1, "content": {"encoding": "base64", "text": "%"}}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, err := ParseHAR(b)
		if err != nil {
			return
		}
		for ex, err := range seq {
			var ee *EntryError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("ParseHAR's sequence gave a fatal error: %v", err)
			}
			if err == nil {
				checkExchange(t, ex)
			}
		}
	})
}

func FuzzParseLogLine(f *testing.F) {
	f.Add(`127.0.0.1 - - [25/Nov/2026:18:58:22 +0000] "GET /v1/users?limit=2 HTTP/1.1" 200 273 "-" "curl/8.5.0"`)
	f.Add(`h - - [d] "GET /\x22\\ HTTP/1.1" 200 1`)
	f.Add(`heroku[router]: at=info method=GET path="/v1/users" status=200`)
	f.Add(`at=info method= path="`)
	f.Fuzz(func(t *testing.T, line string) {
		ex, err := ParseLogLine(line)
		if err != nil {
			return
		}
		checkExchange(t, ex)
	})
}
