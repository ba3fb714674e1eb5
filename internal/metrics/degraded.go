package metrics

import "github.com/prometheus/client_golang/prometheus"

// SessionCacheStats is what the session cache (internal/sessioncache)
// counts, read at each scrape.
type SessionCacheStats struct {
	Hits, Misses, Bypassed uint64
	Invalidations, Flushes uint64
	Connects               uint64
	ProbesHeard            uint64
	ProbesLost             uint64
	Listening, Verified    bool
	Entries                int
}

// WatchSessionCache exports the session cache's state as the
// session_cache_* metrics. A replica whose cache is listening but not
// verified is behind something that drops LISTEN (a transaction pooler): it
// still revokes correctly, at the cost of one query per authenticated
// request.
func (m *Metrics) WatchSessionCache(stats func() SessionCacheStats) {
	m.reg.MustRegister(newSessionCacheCollector(stats))
}

// WatchRateLimitStore exports degraded (the rate limiter counts in process
// because its shared store, Redis, fails) as the gauge
// rate_limit_store_degraded.
func (m *Metrics) WatchRateLimitStore(degraded func() bool) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rate_limit_store_degraded",
		Help: "1 while the shared rate-limit store (Redis) fails and this replica counts alone; 0 otherwise (also without REDIS_URL).",
	}, func() float64 { return bool01(degraded()) }))
}

type sessionCacheCollector struct {
	stats func() SessionCacheStats

	lookups, invalidations, flushes, reconnects, probes *prometheus.Desc
	entries, listening, verified                        *prometheus.Desc
}

func newSessionCacheCollector(stats func() SessionCacheStats) *sessionCacheCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("session_cache_"+name, help, labels, nil)
	}
	return &sessionCacheCollector{
		stats:         stats,
		lookups:       d("lookups_total", "Session lookups, by result: hit (from memory), miss (read from the database, then cached), bypass (read from the database because the cache is not verified).", "result"),
		invalidations: d("invalidations_total", "Sessions revoked by a notification (a logout or a change to a user row, on any replica)."),
		flushes:       d("flushes_total", "Times the whole cache was emptied (a TRUNCATE, each loss or return of verification)."),
		reconnects:    d("listener_reconnects_total", "Times the LISTEN connection was opened again after it failed."),
		probes:        d("probes_total", "Probe notifications sent through the pool, by result: heard (came back to the listener in time) or lost.", "result"),
		entries:       d("entries", "Sessions held in memory."),
		listening:     d("listening", "1 while the LISTEN connection is up."),
		verified:      d("verified", "1 while the cache is in use: the listener hears, in time, what the pool's transactions notify. 0 with listening 1 means a transaction pooler between them: set DATABASE_DIRECT_URL."),
	}
}

func (c *sessionCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.lookups, c.invalidations, c.flushes, c.reconnects, c.probes, c.entries, c.listening, c.verified,
	} {
		ch <- d
	}
}

func (c *sessionCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter(c.lookups, s.Hits, "hit")
	counter(c.lookups, s.Misses, "miss")
	counter(c.lookups, s.Bypassed, "bypass")
	counter(c.invalidations, s.Invalidations)
	counter(c.flushes, s.Flushes)
	counter(c.reconnects, max(s.Connects, 1)-1)
	counter(c.probes, s.ProbesHeard, "heard")
	counter(c.probes, s.ProbesLost, "lost")
	gauge(c.entries, float64(s.Entries))
	gauge(c.listening, bool01(s.Listening))
	gauge(c.verified, bool01(s.Verified))
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
