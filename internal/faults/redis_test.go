package faults

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// redisServer is a throwaway redis-server on a port of its own (never the
// machine's on 6379), keeping nothing on disk, that a test stops and starts.
type redisServer struct {
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is missing (apt-get install -y redis-server)")
		}
		t.Skip("redis-server is missing (apt-get install -y redis-server)")
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	r := &redisServer{bin: bin, port: port, dir: t.TempDir()}
	r.start(t)
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// start runs redis-server on r.port and waits until it accepts connections.
func (r *redisServer) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command(r.bin, "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.dir)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.done = make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server does not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills redis-server (our own child, by pid), as a lost node would go.
func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// TestRedisLostAndBack: two replicas share their rate-limit counters in
// Redis. When Redis is killed each replica keeps limiting on its own (no
// error reaches a client; the metrics say it is degraded); when it is back
// they share again.
func TestRedisLostAndBack(t *testing.T) {
	needInfra(t)
	db := newDatabase(t)
	redis := startRedis(t)
	// Login attempts are limited per client address and per email; each
	// attempt below comes from an address of its own (one trusted proxy),
	// so only the per-email counter is at play.
	rs := startReplicas(t, 2, "DATABASE_URL="+db.direct, "REDIS_URL="+redis.url(), "RATE_LIMIT_LOGIN=3/1m", "TRUSTED_PROXIES=1")
	a, b := rs[0], rs[1]
	ctx := t.Context()
	// Logins are counted per email only for emails that have an account.
	for i, email := range []string{"shared1@example.com", "alone@example.com", "shared2@example.com"} {
		body := fmt.Sprintf(`{"username": "limited%d", "email": %q, "password": "test1234"}`, i, email)
		if status, code, err := a.restCall(ctx, http.MethodPost, "/v1/users", "", body); err != nil || status != http.StatusOK {
			t.Fatalf("sign-up %s: %d %d %v", email, status, code, err)
		}
	}
	attempt := 0
	// try makes one login attempt with a wrong password for email and
	// returns the status: 400 (counted, not limited), 404 for an email
	// without an account (counted per address only), or 429.
	try := func(r *replica, email string) int {
		t.Helper()
		attempt++
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.URL+"/v1/users/self/login",
			strings.NewReader(fmt.Sprintf(`{"email": %q, "password": "wrongpass1"}`, email)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", attempt%250+1))
		_, status, err := r.send(req)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusBadRequest && status != http.StatusNotFound && status != http.StatusTooManyRequests {
			t.Fatalf("login attempt on %s: %d, want 400, 404 or 429", r.URL, status)
		}
		return status
	}
	// shared: three attempts spread over both replicas use up the limit of
	// both.
	shared := func(t *testing.T, email string) {
		t.Helper()
		for i, r := range []*replica{a, b, a} {
			if st := try(r, email); st != http.StatusBadRequest {
				t.Fatalf("attempt %d: %d, want 400", i+1, st)
			}
		}
		if st := try(b, email); st != http.StatusTooManyRequests {
			t.Errorf("the 4th attempt on B: %d, want 429 (counters shared through Redis)", st)
		}
	}

	t.Run("shared", func(t *testing.T) { shared(t, "shared1@example.com") })

	redis.stop()
	t.Run("lost: each replica counts alone", func(t *testing.T) {
		for i := range 3 {
			if st := try(a, "alone@example.com"); st != http.StatusBadRequest {
				t.Fatalf("attempt %d on A: %d, want 400", i+1, st)
			}
		}
		if st := try(a, "alone@example.com"); st != http.StatusTooManyRequests {
			t.Errorf("the 4th attempt on A: %d, want 429 (A still limits on its own)", st)
		}
		if st := try(b, "alone@example.com"); st != http.StatusBadRequest {
			t.Errorf("the 1st attempt on B: %d, want 400 (B counts on its own)", st)
		}
		if v := a.metric(t, "rate_limit_store_degraded"); v != 1 {
			t.Errorf("rate_limit_store_degraded on A = %v, want 1", v)
		}
		if v := a.metric(t, `rate_limit_store_errors_total{action="login"}`); v < 1 {
			t.Errorf("rate_limit_store_errors_total on A = %v, want some", v)
		}
	})

	redis.start(t)
	t.Run("back: shared again", func(t *testing.T) {
		// Each replica leaves a failed store alone for 5 s, then tries it on
		// the next attempt: wait until both use it again.
		for _, r := range rs {
			deadline := time.Now().Add(20 * time.Second)
			for i := 0; r.metric(t, "rate_limit_store_degraded") != 0; i++ {
				if time.Now().After(deadline) {
					t.Fatalf("%s still degraded 20 s after Redis came back", r.URL)
				}
				try(r, fmt.Sprintf("probe%d@example.com", i))
				time.Sleep(200 * time.Millisecond)
			}
		}
		shared(t, "shared2@example.com")
	})
}
