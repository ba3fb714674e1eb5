// Package metrics holds the service's Prometheus metrics: HTTP requests,
// GraphQL operations, the pgx pool, bcrypt work in flight, rate-limit
// rejections, security events, and the Go runtime and process. Each Metrics has its own
// registry (never the global default one), so several servers in one test
// process do not collide.
//
// Every label value is bounded: routes are chi patterns, methods outside the
// standard set become "other", and GraphQL operation names, which clients
// choose, are shortened, and past a fixed number of distinct names counted
// as "other".
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const (
	// MaxOperationNameLen is the longest GraphQL operation name kept as a
	// label; longer names are cut to it.
	MaxOperationNameLen = 64
	// MaxOperationNames bounds the distinct operation-name label values: the
	// first names seen are kept, later new ones are counted as "other", so
	// clients that invent names cannot grow the series without limit.
	MaxOperationNames = 100
	// maxActions bounds the distinct rate-limit action label values.
	maxActions = 20
	// maxSecurityEvents bounds the distinct (event, reason) label pairs.
	maxSecurityEvents = 50

	// Anonymous is the operation label of an unnamed (or unparseable) operation.
	Anonymous = "anonymous"
	// Other is the label value past a bound.
	Other = "other"
)

// Metrics collects the service's metrics into its own registry. Its methods
// are safe for concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	gqlOps       *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	rateStoreErr *prometheus.CounterVec
	secEvents    *prometheus.CounterVec

	operations *boundedSet
	actions    *boundedSet
	secPairs   *boundedSet
}

// New returns metrics registered on a fresh registry, with the Go runtime,
// process and build-info collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		gqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphql_operations_total",
			Help: `GraphQL operations, by operation name ("anonymous" when unnamed, "other" past ` +
				strconv.Itoa(MaxOperationNames) + ` distinct names) and outcome (ok, or error when the response carries errors).`,
		}, []string{"operation", "outcome"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rate_limit_rejections_total",
			Help: "Requests refused by a rate limit, by limited action.",
		}, []string{"action"}),
		rateStoreErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rate_limit_store_errors_total",
			Help: "Rate-limit attempts the shared store (Redis) failed to count, so the replica counted them alone, by action.",
		}, []string{"action"}),
		secEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "security_events_total",
			Help: "Security events (failed logins, refused tokens, rate-limit refusals), by event and reason.",
		}, []string{"event", "reason"}),
		operations: newBoundedSet(MaxOperationNames),
		actions:    newBoundedSet(maxActions),
		secPairs:   newBoundedSet(maxSecurityEvents),
	}
	m.reg.MustRegister(
		m.httpRequests, m.httpDuration, m.gqlOps, m.rateLimited, m.rateStoreErr, m.secEvents,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return m
}

// Registry is the registry the metrics live in, for tests and for
// registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text (or OpenMetrics) format.
// At most two scrapes run at once; more are answered 503.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:            m.reg, // counts its own errors as promhttp_metric_handler_errors_total
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
		Timeout:             10 * time.Second,
	}))
}

// ObserveHTTP records one served request. route is the chi route pattern
// (never the raw path, which would make a series per user id).
func (m *Metrics) ObserveHTTP(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, normalizeMethod(method), strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, normalizeMethod(method), strconv.Itoa(status)).Observe(d.Seconds())
}

// GraphQLOperation records one GraphQL operation and whether its response
// was free of errors.
func (m *Metrics) GraphQLOperation(name string, ok bool) {
	if m == nil {
		return
	}
	outcome := "ok"
	if !ok {
		outcome = "error"
	}
	label := OperationLabel(name)
	if label != Anonymous {
		label = m.operations.label(label)
	}
	m.gqlOps.WithLabelValues(label, outcome).Inc()
}

// RateLimitRejected counts one request refused by the rate limit of action
// (such as "login" or "signup"). Its signature fits a rate limiter's
// OnReject hook.
func (m *Metrics) RateLimitRejected(action string) {
	if m == nil {
		return
	}
	m.rateLimited.WithLabelValues(m.actionLabel(action)).Inc()
}

// RateLimitStoreError counts one attempt that the rate limiter's shared store
// failed to count (so this replica counted it alone). Its signature fits a
// rate limiter's OnStoreError hook.
func (m *Metrics) RateLimitStoreError(action string) {
	if m == nil {
		return
	}
	m.rateStoreErr.WithLabelValues(m.actionLabel(action)).Inc()
}

// SecurityEvent counts one security event (internal/secevent). Its signature
// fits secevent.New's count hook. Both values are fixed words of the
// emitters; past a bound of distinct pairs, or if not printable ASCII, they
// are counted as "other".
func (m *Metrics) SecurityEvent(event, reason string) {
	if m == nil {
		return
	}
	event, reason = truncate(event, MaxOperationNameLen), truncate(reason, MaxOperationNameLen)
	if event == "" || reason == "" || !isLabelSafe(event) || !isLabelSafe(reason) || m.secPairs.label(event+" "+reason) == Other {
		event, reason = Other, Other
	}
	m.secEvents.WithLabelValues(event, reason).Inc()
}

func (m *Metrics) actionLabel(action string) string {
	if action == "" || !isLabelSafe(action) {
		return Other
	}
	return m.actions.label(truncate(action, MaxOperationNameLen))
}

// WatchBcrypt exports inFlight (the bcrypt computations running or waiting for
// a core, auth.Passwords.InFlight) as the gauge bcrypt_in_flight.
func (m *Metrics) WatchBcrypt(inFlight func() int64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "bcrypt_in_flight",
		Help: "bcrypt hashes and comparisons running or waiting for a CPU core.",
	}, func() float64 { return float64(inFlight()) }))
}

// OperationLabel is the label value for a GraphQL operation name: "anonymous"
// when empty or not a GraphQL name, else the name cut to MaxOperationNameLen.
func OperationLabel(name string) string {
	if name == "" || !isGraphQLName(name) {
		return Anonymous
	}
	return truncate(name, MaxOperationNameLen)
}

// isGraphQLName reports whether s is a GraphQL Name (/[_A-Za-z][_0-9A-Za-z]*/),
// which is also always a valid UTF-8 label value.
func isGraphQLName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// isLabelSafe accepts printable ASCII, so a label value is valid UTF-8 and
// readable.
func isLabelSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] // ASCII only here, so no rune is cut
	}
	return s
}

// normalizeMethod keeps the standard methods and folds anything else a client
// sends into "other".
func normalizeMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return Other
}

// boundedSet admits the first max distinct values; later new ones map to Other.
type boundedSet struct {
	mu   sync.RWMutex
	max  int
	seen map[string]struct{}
}

func newBoundedSet(max int) *boundedSet {
	return &boundedSet{max: max, seen: make(map[string]struct{}, max)}
}

func (s *boundedSet) label(v string) string {
	s.mu.RLock()
	_, ok := s.seen[v]
	s.mu.RUnlock()
	if ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return Other
	}
	s.seen[v] = struct{}{}
	return v
}
