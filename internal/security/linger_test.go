package security_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
)

// stillSending is a body far over MAX_BODY_BYTES and over what the kernel
// buffers on loopback (4 MiB of send buffer here), so a client that writes it all before reading (as
// Python's http.client does) is still writing when the server answers.
const stillSending = 6 << 20

// rawPost sends a request line, headers and body on a fresh connection,
// writing everything before reading anything, then reads the answer. It
// fails the test if the write or the read fails (a reset connection).
func rawPost(t *testing.T, base, path, contentType string, body []byte, chunked bool) (*http.Response, []byte) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // never hang the test
	var req bytes.Buffer
	fmt.Fprintf(&req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n", path, u.Host, contentType)
	if chunked {
		req.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := body; len(rest) > 0; {
			chunk := rest[:min(len(rest), 32<<10)]
			rest = rest[len(chunk):]
			fmt.Fprintf(&req, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		req.WriteString("0\r\n\r\n")
	} else {
		fmt.Fprintf(&req, "Content-Length: %d\r\n\r\n", len(body))
		req.Write(body)
	}
	if _, err := conn.Write(req.Bytes()); err != nil {
		t.Fatalf("writing the request: %v (the server closed before the client could read its answer)", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer's body: %v", err)
	}
	return resp, b
}

// TestEarlyAnswerReachesAClientStillSending: a body over MAX_BODY_BYTES gets
// its 413, in the route's format, even from a client that does not use
// Expect: 100-continue and writes its whole body before it reads: the server
// reads and discards the rest (as nginx's lingering close does) instead of
// closing under the client, which would get a reset instead of the answer.
// Both ways a body can be refused are covered: by its declared length
// (GraphQL, before reading), and by reading past the limit (chunked).
func TestEarlyAnswerReachesAClientStillSending(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	pad := bytes.Repeat([]byte("x"), stillSending)
	user := append(append([]byte(`{"username": "biguser", "email": "big@example.com", "password": "test1234", "info": {"pad": "`), pad...), `"}}`...)
	gql := append(append([]byte(`{"query": "mutation { createUser(input: {username: \"biguser\", email: \"big@example.com\", password: \"test1234\"}) { id } }", "pad": "`), pad...), `"}`...)
	tests := []struct {
		name, path string
		body       []byte
		chunked    bool
		wantFormat string
	}{
		{"REST sign-up", "/v1/users", user, false, `"meta": {"code": 413`},
		{"REST sign-up, chunked", "/v1/users", user, true, `"meta": {"code": 413`},
		{"GraphQL", "/graphql", gql, false, `"errors"`},
		{"GraphQL, chunked", "/graphql", gql, true, `"errors"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := rawPost(t, srv.URL, tt.path, "application/json", tt.body, tt.chunked)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), tt.wantFormat) {
				t.Errorf("got %d %.200s; want 413 with %s", resp.StatusCode, b, tt.wantFormat)
			}
		})
	}
}

// TestLingeringIsBounded: the server discards a refused body only up to a
// bound of bytes and of time, so a client cannot hold a connection (or a
// goroutine) by sending forever, or by never sending what it announced.
func TestLingeringIsBounded(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	u, _ := url.Parse(srv.URL)
	// closedWithin reads the answer and then waits for the server to close
	// the connection.
	closedWithin := func(t *testing.T, conn net.Conn, limit time.Duration) {
		t.Helper()
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(limit))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status = %d, want 413", resp.StatusCode)
		}
		_, err = io.Copy(io.Discard, conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the server still held the connection %s after the answer", limit)
		}
	}
	t.Run("announced, never sent", func(t *testing.T) {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", u.Host, 1<<30)
		closedWithin(t, conn, 20*time.Second)
	})
	t.Run("sent forever", func(t *testing.T) {
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/users HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", u.Host)
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			chunk := fmt.Appendf(nil, "%x\r\n%s\r\n", 64<<10, bytes.Repeat([]byte(" "), 64<<10))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := conn.Write(chunk); err != nil {
					return // the server closed: what this test waits for
				}
			}
		}()
		closedWithin(t, conn, 20*time.Second)
	})
}

// TestEarlyAnswerReachesPython: Python's http.client (no Expect:
// 100-continue; it sends the whole body, then reads) gets the 413 envelope.
func TestEarlyAnswerReachesPython(t *testing.T) {
	t.Parallel()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is missing")
		}
		t.Skip("python3 is missing")
	}
	srv := apptest.Start(t, apptest.Config())
	u, _ := url.Parse(srv.URL)
	script := `
import http.client, json, sys
body = json.dumps({"username": "pyuser", "email": "py@example.com", "password": "test1234", "info": {"pad": "x" * int(sys.argv[2])}})
c = http.client.HTTPConnection(sys.argv[1], timeout=30)
c.request("POST", "/v1/users", body=body, headers={"Content-Type": "application/json"})
r = c.getresponse()
print(r.status, r.read().decode())
`
	out, err := exec.CommandContext(t.Context(), python, "-c", script, u.Host, fmt.Sprint(stillSending)).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, `413 {"meta": {"code": 413`) {
		t.Errorf("python3 got %q, want the 413 envelope", got)
	}
}
