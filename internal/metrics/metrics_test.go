package metrics_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"users/internal/metrics"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// value returns the value of the series name{labels} (a histogram's sample
// count), and whether it exists.
func value(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount()), true
			default:
				t.Fatalf("%s: unexpected type %v", name, f.GetType())
			}
		}
	}
	return 0, false
}

func mustValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string, want float64) {
	t.Helper()
	got, ok := value(t, g, name, labels)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	if got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

func TestHTTP(t *testing.T) {
	m := metrics.New()
	m.ObserveHTTP("GET", "/v1/users/{id}", 200, 30*time.Millisecond)
	m.ObserveHTTP("GET", "/v1/users/{id}", 200, 2*time.Second)
	m.ObserveHTTP("GET", "/v1/users/{id}", 404, time.Millisecond)
	m.ObserveHTTP("BREW", "unmatched", 404, time.Millisecond) // a method nobody defined
	reg := m.Registry()
	mustValue(t, reg, "http_requests_total", map[string]string{"route": "/v1/users/{id}", "method": "GET", "status": "200"}, 2)
	mustValue(t, reg, "http_requests_total", map[string]string{"route": "/v1/users/{id}", "method": "GET", "status": "404"}, 1)
	mustValue(t, reg, "http_requests_total", map[string]string{"route": "unmatched", "method": "other", "status": "404"}, 1)
	mustValue(t, reg, "http_request_duration_seconds", map[string]string{"route": "/v1/users/{id}", "method": "GET", "status": "200"}, 2)
}

func TestGraphQLOperations(t *testing.T) {
	m := metrics.New()
	reg := m.Registry()
	m.GraphQLOperation("SignUp", true)
	m.GraphQLOperation("SignUp", false)
	m.GraphQLOperation("", true)
	m.GraphQLOperation("not a name", false) // a requested operationName that is no GraphQL name
	m.GraphQLOperation("bad\xffutf8", false)
	long := strings.Repeat("x", 200)
	m.GraphQLOperation(long, true)
	mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "SignUp", "outcome": "ok"}, 1)
	mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "SignUp", "outcome": "error"}, 1)
	mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "anonymous", "outcome": "ok"}, 1)
	mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "anonymous", "outcome": "error"}, 2)
	mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": long[:metrics.MaxOperationNameLen], "outcome": "ok"}, 1)

	t.Run("distinct names are bounded", func(t *testing.T) {
		m := metrics.New()
		reg := m.Registry()
		for i := range metrics.MaxOperationNames + 50 {
			m.GraphQLOperation(fmt.Sprintf("Op%d", i), true)
		}
		m.GraphQLOperation("Op0", true) // admitted before the bound: still its own series
		m.GraphQLOperation("", true)    // anonymous never takes a slot
		mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "Op0"}, 2)
		mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "other"}, 50)
		mustValue(t, reg, "graphql_operations_total", map[string]string{"operation": "anonymous"}, 1)
		if _, ok := value(t, reg, "graphql_operations_total", map[string]string{"operation": fmt.Sprint("Op", metrics.MaxOperationNames)}); ok {
			t.Errorf("a name past the bound got its own series")
		}
		if n, err := testutil.GatherAndCount(reg, "graphql_operations_total"); err != nil || n != metrics.MaxOperationNames+2 {
			t.Errorf("series = %d (%v), want %d", n, err, metrics.MaxOperationNames+2)
		}
	})
}

func TestRateLimitRejected(t *testing.T) {
	m := metrics.New()
	var onReject func(action string) = m.RateLimitRejected // fits a rate limiter's OnReject hook
	onReject("login")
	onReject("login")
	onReject("signup")
	onReject("")
	reg := m.Registry()
	mustValue(t, reg, "rate_limit_rejections_total", map[string]string{"action": "login"}, 2)
	mustValue(t, reg, "rate_limit_rejections_total", map[string]string{"action": "signup"}, 1)
	mustValue(t, reg, "rate_limit_rejections_total", map[string]string{"action": "other"}, 1)

	var onStoreError func(action string) = m.RateLimitStoreError
	onStoreError("login")
	mustValue(t, reg, "rate_limit_store_errors_total", map[string]string{"action": "login"}, 1)
}

func TestSecurityEvent(t *testing.T) {
	m := metrics.New()
	var count func(event, reason string) = m.SecurityEvent // fits secevent.New's hook
	count("login_failed", "wrong_password")
	count("login_failed", "wrong_password")
	count("rate_limited", "token")
	count("", "x")
	count("token_refused", "bad\xff")
	reg := m.Registry()
	mustValue(t, reg, "security_events_total", map[string]string{"event": "login_failed", "reason": "wrong_password"}, 2)
	mustValue(t, reg, "security_events_total", map[string]string{"event": "rate_limited", "reason": "token"}, 1)
	mustValue(t, reg, "security_events_total", map[string]string{"event": "other", "reason": "other"}, 2)
	// Past the bound of distinct pairs, new ones are "other".
	for i := range 100 {
		count("e", fmt.Sprint("r", i))
	}
	if n, err := testutil.GatherAndCount(reg, "security_events_total"); err != nil || n > 51 {
		t.Errorf("series = %d (%v), want at most 51 (50 pairs and other)", n, err)
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *metrics.Metrics
	m.ObserveHTTP("GET", "/", 200, time.Second)
	m.GraphQLOperation("X", true)
	m.RateLimitRejected("login")
	m.RateLimitStoreError("login")
	m.SecurityEvent("login_failed", "unknown_email")
}

func TestBcryptInFlight(t *testing.T) {
	m := metrics.New()
	var n atomic.Int64
	m.WatchBcrypt(n.Load)
	mustValue(t, m.Registry(), "bcrypt_in_flight", nil, 0)
	n.Store(3)
	mustValue(t, m.Registry(), "bcrypt_in_flight", nil, 3)
}

func TestPool(t *testing.T) {
	pool := testdb.New(t)
	m := metrics.New()
	m.WatchPool(pool)
	reg := m.Registry()
	mustValue(t, reg, "pgxpool_max_conns", nil, float64(pool.Config().MaxConns))
	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mustValue(t, reg, "pgxpool_acquired_conns", nil, 1)
	conn.Release()
	mustValue(t, reg, "pgxpool_acquired_conns", nil, 0)
	if v, _ := value(t, reg, "pgxpool_acquires_total", nil); v < 1 {
		t.Errorf("pgxpool_acquires_total = %v, want >= 1", v)
	}
	if v, _ := value(t, reg, "pgxpool_total_conns", nil); v < 1 {
		t.Errorf("pgxpool_total_conns = %v, want >= 1", v)
	}
	for _, name := range []string{"pgxpool_idle_conns", "pgxpool_acquire_duration_seconds_total", "pgxpool_empty_acquires_total"} {
		if _, ok := value(t, reg, name, nil); !ok {
			t.Errorf("no %s", name)
		}
	}
}

// TestHandler scrapes the handler as Prometheus would, and lints every metric
// name, type and help text with Prometheus's own linter.
func TestHandler(t *testing.T) {
	m := metrics.New()
	m.WatchBcrypt(func() int64 { return 0 })
	m.ObserveHTTP("GET", "/healthz", 200, time.Millisecond)
	m.GraphQLOperation("Me", true)
	m.RateLimitRejected("login")

	ts := httptest.NewServer(m.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`graphql_operations_total{operation="Me",outcome="ok"} 1`,
		`rate_limit_rejections_total{action="login"} 1`,
		"bcrypt_in_flight 0",
		"go_goroutines ",
		"process_cpu_seconds_total ",
		"go_build_info{",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("scrape lacks %q", want)
		}
	}

	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "go_") || strings.HasPrefix(p.Metric, "process_") {
			continue // the client library's own collectors
		}
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
