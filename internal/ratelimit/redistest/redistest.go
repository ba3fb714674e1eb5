// Package redistest gives tests a real Redis: TEST_REDIS_URL when set, else
// the one on 127.0.0.1:6379 when it answers, else a redis-server started for
// the test (on a Unix socket, keeping nothing on disk) and stopped after it.
// Without redis-server the test is skipped, or fails under CI=true: CI must
// run the Redis tests.
//
// Tests share one Redis, so each should use its own key prefix (Prefix) or
// keys no other test uses.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultURL is the machine's Redis, used when it answers.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns the URL of a Redis that answers, for the duration of the test.
func URL(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		if err := ping(u); err != nil {
			tb.Fatalf("redistest: TEST_REDIS_URL does not answer: %v", err)
		}
		return u
	}
	if ping(DefaultURL) == nil {
		return DefaultURL
	}
	return start(tb)
}

// Client returns a client on URL(tb), closed when the test ends.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opts, err := redis.ParseURL(URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(opts)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test uses, such as "users:rl:test-1f2e…:".
func Prefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "users:rl:test-" + hex.EncodeToString(b[:]) + ":"
}

func ping(url string) error {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	opts.DialTimeout = 500 * time.Millisecond
	opts.MaxRetries = -1
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// start runs a throwaway redis-server on a Unix socket in a temporary
// directory and returns its URL.
func start(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("redistest: no Redis on 127.0.0.1:6379 and no redis-server to start (apt-get install -y redis-server)")
		}
		tb.Skip("redistest: no Redis on 127.0.0.1:6379 and no redis-server to start (apt-get install -y redis-server)")
	}
	// Unix socket paths are limited to about 100 bytes: keep it short.
	dir, err := os.MkdirTemp("", "rt")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "r.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		tb.Fatalf("redistest: start redis-server: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "unix://" + sock
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ping(url)
		if err == nil {
			return url
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: redis-server did not answer: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
