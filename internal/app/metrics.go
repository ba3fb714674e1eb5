package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"users/internal/config"
	"users/internal/metrics"
)

// serveMetrics publishes /metrics as METRICS_ADDR says:
//
//   - host:port: on a listener of its own, and not on the public router, so
//     Prometheus scrapes a port the load balancer never exposes. The listener
//     is open when serveMetrics returns (a busy port fails start-up) and
//     closes when ctx ends.
//   - "off": nowhere.
//   - unset: on the public router outside live (handy locally); nowhere in
//     live, where route counts, operation names and pool sizes are not for
//     the internet to read.
func serveMetrics(ctx context.Context, log *slog.Logger, cfg config.Config, r chi.Router, mets *metrics.Metrics) error {
	switch cfg.MetricsAddr {
	case "off":
		return nil
	case "":
		if !cfg.Live() {
			r.Method(http.MethodGet, "/metrics", mets.Handler())
		}
		return nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mets.Handler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("metrics listener", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}
