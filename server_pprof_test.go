package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/testdb"
)

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:6060": true, "127.0.0.2:6060": true, "[::1]:6060": true, "localhost:6060": true,
		":6060": false, "0.0.0.0:6060": false, "[::]:6060": false, "10.0.0.1:6060": false,
		"example.com:6060": false, "127.0.0.1": false, "": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestRunRefusesPublicPprofInLive(t *testing.T) {
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"APP_ENV":      "live",
		"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", // never reached: the check comes first
		"SECRET_KEY":   k.Encode(),
		"PPROF_ADDR":   ":6060",
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"server"}, func(k string) string { return env[k] }, &out)
	if err == nil || !strings.Contains(err.Error(), "PPROF_ADDR") {
		t.Fatalf("run = %v, want a PPROF_ADDR refusal", err)
	}
}

// pprofLog is a goroutine-safe log sink that finds logged addresses.
type pprofLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *pprofLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// addr returns the addr attribute of the JSON log line with message msg.
func (l *pprofLog) addr(msg string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for line := range strings.Lines(l.buf.String()) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
			return rec.Addr
		}
	}
	return ""
}

func TestRunServesPprofOnItsOwnListener(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": testdb.NewURL(t),
		"PORT":         "0",
		"PPROF_ADDR":   "127.0.0.1:0",
		"LOG_FORMAT":   "json",
	}
	logs := &pprofLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"server"}, func(k string) string { return env[k] }, logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop")
		}
	})

	var public, private string
	deadline := time.Now().Add(30 * time.Second)
	for public == "" || private == "" {
		select {
		case err := <-done:
			t.Fatalf("run ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no listening lines in the log")
		}
		time.Sleep(10 * time.Millisecond)
		public, private = logs.addr("listening"), logs.addr("pprof listening")
	}
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get("http://" + private + "/debug/pprof/"); st != http.StatusOK {
		t.Errorf("pprof index on PPROF_ADDR: %d, want 200", st)
	}
	port := public[strings.LastIndexByte(public, ':'):]
	if st := get("http://127.0.0.1" + port + "/debug/pprof/"); st == http.StatusOK {
		t.Errorf("pprof answers on the public port")
	}
}
