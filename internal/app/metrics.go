package app

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"users/internal/config"
	"users/internal/metrics"
	"users/internal/sessioncache"
)

// metricsHandler places /metrics as METRICS_ADDR says:
//
//   - host:port: on a listener of its own (the handler returned, which
//     internal/server serves there), and not on the public router, so
//     Prometheus scrapes a port the load balancer never exposes.
//   - "off": nowhere.
//   - unset: on the public router r outside live (handy locally); nowhere in
//     live, where route counts, operation names and pool sizes are not for
//     the internet to read.
func metricsHandler(cfg config.Config, r chi.Router, mets *metrics.Metrics) http.Handler {
	switch cfg.MetricsAddr {
	case "off":
		return nil
	case "":
		if !cfg.Live() {
			r.Method(http.MethodGet, "/metrics", mets.Handler())
		}
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mets.Handler())
	return mux
}

// sessionCacheStats is what the metrics read of the session cache.
func sessionCacheStats(s sessioncache.Stats) metrics.SessionCacheStats {
	return metrics.SessionCacheStats{
		Hits: s.Hits, Misses: s.Misses, Bypassed: s.Bypassed,
		Invalidations: s.Invalidations, Flushes: s.Flushes, Connects: s.Connects,
		ProbesHeard: s.ProbesHeard, ProbesLost: s.ProbesLost,
		Listening: s.Listening, Verified: s.Verified, Entries: s.Entries,
	}
}
