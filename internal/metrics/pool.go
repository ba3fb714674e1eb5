package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// WatchPool exports the statistics of pool (pool.Stat() at each scrape) as
// the pgxpool_* metrics.
func (m *Metrics) WatchPool(pool *pgxpool.Pool) {
	m.reg.MustRegister(newPoolCollector(pool.Stat))
}

// poolCollector reads pgxpool statistics when scraped: the pool keeps its own
// counters, so nothing is recorded between scrapes.
type poolCollector struct {
	stat func() *pgxpool.Stat

	acquired, idle, total, max, constructing *prometheus.Desc
	acquires, acquireSeconds, emptyAcquires  *prometheus.Desc
	emptyWaitSeconds, canceledAcquires       *prometheus.Desc
	newConns, lifetimeDestroys, idleDestroys *prometheus.Desc
}

func newPoolCollector(stat func() *pgxpool.Stat) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("pgxpool_"+name, help, nil, nil)
	}
	return &poolCollector{
		stat:             stat,
		acquired:         d("acquired_conns", "Connections currently checked out of the pool."),
		idle:             d("idle_conns", "Idle connections in the pool."),
		total:            d("total_conns", "Connections in the pool (acquired, idle and being opened)."),
		max:              d("max_conns", "Largest size the pool may grow to (DB_MAX_CONNS)."),
		constructing:     d("constructing_conns", "Connections being opened."),
		acquires:         d("acquires_total", "Successful connection acquires."),
		acquireSeconds:   d("acquire_duration_seconds_total", "Total time spent in successful acquires."),
		emptyAcquires:    d("empty_acquires_total", "Successful acquires that had to wait for a connection (none was idle); a rising rate means the pool is too small."),
		emptyWaitSeconds: d("empty_acquire_wait_seconds_total", "Total time acquires spent waiting because no connection was idle."),
		canceledAcquires: d("canceled_acquires_total", "Acquires canceled by their context (usually a client that went away while waiting)."),
		newConns:         d("new_conns_total", "Connections opened."),
		lifetimeDestroys: d("max_lifetime_destroys_total", "Connections closed for reaching their maximum lifetime."),
		idleDestroys:     d("max_idle_destroys_total", "Connections closed for being idle too long."),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.acquired, c.idle, c.total, c.max, c.constructing,
		c.acquires, c.acquireSeconds, c.emptyAcquires, c.emptyWaitSeconds, c.canceledAcquires,
		c.newConns, c.lifetimeDestroys, c.idleDestroys,
	} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.acquired, float64(s.AcquiredConns()))
	gauge(c.idle, float64(s.IdleConns()))
	gauge(c.total, float64(s.TotalConns()))
	gauge(c.max, float64(s.MaxConns()))
	gauge(c.constructing, float64(s.ConstructingConns()))
	counter(c.acquires, float64(s.AcquireCount()))
	counter(c.acquireSeconds, s.AcquireDuration().Seconds())
	counter(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(c.emptyWaitSeconds, s.EmptyAcquireWaitTime().Seconds())
	counter(c.canceledAcquires, float64(s.CanceledAcquireCount()))
	counter(c.newConns, float64(s.NewConnsCount()))
	counter(c.lifetimeDestroys, float64(s.MaxLifetimeDestroyCount()))
	counter(c.idleDestroys, float64(s.MaxIdleDestroyCount()))
}
