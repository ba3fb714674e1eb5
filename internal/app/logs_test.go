package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/config"
)

// logLines returns the decoded JSON log lines whose msg is msg.
func logLines(t *testing.T, logs string, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		if line["msg"] == msg {
			out = append(out, line)
		}
	}
	return out
}

// accessLine returns the one access-log line with the given request id.
func accessLine(t *testing.T, srv *apptest.Server, id string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range logLines(t, srv.Logs.String(), "request") {
		if l["request_id"] == id {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d access lines with request_id %q, want 1; logs:\n%s", len(found), id, srv.Logs.String())
	}
	return found[0]
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

// TestAccessLog checks the one line per request: method, route pattern,
// status, duration, request id, client address and GraphQL operation name;
// and the request id taken from X-Request-Id when sane, else generated, and
// echoed back.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.SignUp(t, "logger", "logger@gmail.com", "test1234")
	token := srv.Login(t, "logger@gmail.com", "test1234")

	t.Run("graphql operation and supplied id", func(t *testing.T) {
		const id = "lb-7f3a-0001"
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {token}, "X-Request-Id": {id}}
		status, rh, _ := srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "query WhoAmI { me { username } }"}`)
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if got := rh.Get("X-Request-Id"); got != id {
			t.Errorf("X-Request-Id = %q, want the supplied %q", got, id)
		}
		line := accessLine(t, srv, id)
		// httptest serves on loopback: the client address is 127.0.0.1.
		want := map[string]any{"level": "INFO", "method": "POST", "route": "/graphql", "status": 200.0, "operation": "WhoAmI", "client_ip": "127.0.0.1"}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("%s = %v, want %v (line %v)", k, line[k], v, line)
			}
		}
		if d, ok := line["duration_ms"].(float64); !ok || d <= 0 {
			t.Errorf("duration_ms = %v", line["duration_ms"])
		}
		if strings.Contains(fmt.Sprint(line), token) {
			t.Errorf("the token is in the access log: %v", line)
		}
	})
	t.Run("operation chosen by operationName", func(t *testing.T) {
		const id = "pick-op"
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {id}}
		srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "query A { __typename } query B { __typename }", "operationName": "B"}`)
		if got := accessLine(t, srv, id)["operation"]; got != "B" {
			t.Errorf("operation = %v, want B", got)
		}
	})
	t.Run("failed validation still names the operation", func(t *testing.T) {
		const id = "bad-op"
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {id}}
		status, _, _ := srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "query Broken { nope }"}`)
		line := accessLine(t, srv, id)
		if line["operation"] != "Broken" || line["status"] != float64(status) || status < 400 {
			t.Errorf("line %v (status %d)", line, status)
		}
	})
	t.Run("rest route pattern, not the path", func(t *testing.T) {
		const id = "rest-1"
		srv.Do(t, http.MethodGet, "/v1/users/12345", http.Header{"Authorization": {token}, "X-Request-Id": {id}}, "")
		line := accessLine(t, srv, id)
		if line["route"] != "/v1/users/{id}" || line["status"] != 404.0 || line["method"] != "GET" {
			t.Errorf("line %v", line)
		}
		if _, ok := line["operation"]; ok {
			t.Errorf("a REST line has an operation: %v", line)
		}
	})
	for _, bad := range []string{"has space", strings.Repeat("x", 129), "new\nline", "tab\there", "é"} {
		t.Run(fmt.Sprintf("insane id %.12q replaced", bad), func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/healthz", nil)
			req.Header["X-Request-Id"] = []string{bad} // set raw: the client would refuse some of these
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				if strings.Contains(bad, "\n") {
					return // Go's client refuses to send it at all
				}
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("X-Request-Id")
			if !generatedID.MatchString(got) {
				t.Errorf("X-Request-Id = %q, want a generated id", got)
			}
			accessLine(t, srv, got)
		})
	}
	t.Run("generated when absent", func(t *testing.T) {
		_, h, _ := srv.Do(t, http.MethodGet, "/", nil, "")
		id := h.Get("X-Request-Id")
		if !generatedID.MatchString(id) {
			t.Fatalf("X-Request-Id = %q, want a generated id", id)
		}
		if line := accessLine(t, srv, id); line["route"] != "/" {
			t.Errorf("line %v", line)
		}
	})
	t.Run("probes at debug level", func(t *testing.T) {
		const id = "probe-1"
		srv.Do(t, http.MethodGet, "/healthz", http.Header{"X-Request-Id": {id}}, "")
		if line := accessLine(t, srv, id); line["level"] != "DEBUG" {
			t.Errorf("level = %v, want DEBUG", line["level"])
		}
	})
}

// TestErrorLogsCarryRequestID: an internal error, logged where it becomes a
// response, carries the request id of its access line, in REST and GraphQL.
func TestErrorLogsCarryRequestID(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	srv.Pool.Close() // every query now fails: an internal error
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"rest-err"}}
	if status, _, body := srv.Do(t, http.MethodPost, "/v1/users", h, `{"username":"broken","email":"broken@gmail.com","password":"test1234"}`); status != 500 {
		t.Fatalf("status %d %s, want 500", status, body)
	}
	h.Set("X-Request-Id", "gql-err")
	srv.Do(t, http.MethodPost, "/graphql", h, `{"query": "mutation { login(email: \"broken@gmail.com\", password: \"test1234\") { token } }"}`)
	for msg, id := range map[string]string{"request failed": "rest-err", "graphql": "gql-err"} {
		lines := logLines(t, srv.Logs.String(), msg)
		if len(lines) != 1 || lines[0]["request_id"] != id || lines[0]["level"] != "ERROR" {
			t.Errorf("%q lines = %v, want one error with request_id %s", msg, lines, id)
		}
		accessLine(t, srv, id)
	}
}

// TestLogFormat checks the format defaults: JSON in live, readable text
// elsewhere, LOG_FORMAT overriding both.
func TestLogFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "text"},
		{map[string]string{"APP_ENV": "dev"}, "text"},
		{map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://db/users", "SECRET_KEY": freshKey}, "json"},
		{map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://db/users", "SECRET_KEY": freshKey, "LOG_FORMAT": "text"}, "text"},
		{map[string]string{"LOG_FORMAT": "json"}, "json"},
	} {
		cfg, err := config.Load(func(k string) string { return tc.env[k] })
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if cfg.LogFormat != tc.want {
			t.Errorf("%v: LogFormat = %q, want %q", tc.env, cfg.LogFormat, tc.want)
		}
	}
}

const freshKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
