package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

// failingListener accepts nothing: its Accept fails with a permanent error
// once failed is closed.
type failingListener struct {
	net.Listener
	failed chan struct{}
}

func (l failingListener) Accept() (net.Conn, error) {
	<-l.failed
	return nil, errors.New("accept: the network went away")
}

func open(t *testing.T, name string, h http.Handler) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &listener{name: name, ln: ln, srv: &http.Server{Handler: h}}
}

// TestServeListenerFails: a listener that stops serving stops the other
// listeners and the background work, and serve returns its error.
func TestServeListenerFails(t *testing.T) {
	good := open(t, "public", http.NotFoundHandler())
	bad := open(t, "metrics", http.NotFoundHandler())
	failed := make(chan struct{})
	bad.ln = failingListener{bad.ln, failed}
	var stopped atomic.Bool
	bg := func(ctx context.Context) error { <-ctx.Done(); stopped.Store(true); return nil }

	done := make(chan error, 1)
	go func() {
		done <- serve(context.Background(), slog.New(slog.DiscardHandler), time.Second, []*listener{good, bad}, []func(context.Context) error{bg})
	}()
	close(failed)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "metrics listener") || !strings.Contains(err.Error(), "went away") {
			t.Errorf("serve = %v, want the metrics listener's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after a listener failed")
	}
	if !stopped.Load() {
		t.Error("the background work was not stopped")
	}
	if c, err := net.DialTimeout("tcp", good.ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("the public listener still accepts connections")
	}
}

// TestServeShutdownTimeout: a request still running when the shutdown
// timeout ends is cut, and serve says the shutdown failed.
func TestServeShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	cut := make(chan struct{})
	l := open(t, "public", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // until the connection is cut
		close(cut)
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, slog.New(slog.DiscardHandler), 200*time.Millisecond, []*listener{l}, nil) }()

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	go func() {
		if resp, err := client.Get("http://" + l.ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "shutdown of the public listener") {
			t.Errorf("serve = %v, want a failed shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after the shutdown timeout")
	}
	select {
	case <-cut:
	case <-time.After(10 * time.Second):
		t.Error("the request's connection was not cut")
	}
}
