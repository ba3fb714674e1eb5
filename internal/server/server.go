// Package server runs the service that internal/app builds: the public
// listener (PORT), the metrics listener (METRICS_ADDR), the pprof listener
// (PPROF_ADDR) and the background work, started together and stopped
// together, so that nothing outlives Serve.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"users/internal/app"
	"users/internal/config"
)

// MaxHeaderBytes bounds the request line and headers on the public port:
// net/http answers a request over it (plus its 4 KiB of slack) with 431
// Request Header Fields Too Large before any handler runs.
const MaxHeaderBytes = 32 << 10

// Addrs are the addresses the listeners are bound to (host:port, as the
// listener reports it: "[::]:5000" for PORT=5000); "" where there is no such
// listener.
type Addrs struct {
	Public  string
	Metrics string
	Pprof   string
}

// Serve opens every listener and serves svc until ctx ends or something
// fails: a listener that stops serving, or background work that returns an
// error. Then it shuts every listener down (in-flight requests get
// SHUTDOWN_TIMEOUT to finish; what is left after it is cut), stops the
// background work and waits for all of it.
//
// ready, when not nil, is called once, with the bound addresses, as soon as
// every listener is open; connections made from then on are served.
//
// Serve returns nil after a shutdown that ctx asked for and that finished in
// time; otherwise the first failure: a listener that could not open (the
// error names PORT, METRICS_ADDR or PPROF_ADDR), a listener or background
// work that failed, or a shutdown past its timeout.
func Serve(ctx context.Context, log *slog.Logger, cfg config.Config, svc *app.Service, ready func(Addrs)) error {
	if err := CheckPprofAddr(cfg); err != nil {
		return err
	}
	ls, err := listen(log, cfg, svc)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(addrsOf(ls))
	}
	return serve(ctx, log, cfg.ShutdownTimeout, ls, svc.Background)
}

// listener is one of the service's listeners and the server for it.
type listener struct {
	name    string // "public", "metrics" or "pprof"
	setting string // what configures addr, for errors
	addr    string
	srv     *http.Server
	ln      net.Listener // once open
}

// listen opens the listeners cfg asks for, or none: on failure it closes
// those already open.
func listen(log *slog.Logger, cfg config.Config, svc *app.Service) ([]*listener, error) {
	errorLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	ls := []*listener{{
		name: "public", setting: "PORT", addr: ":" + strconv.Itoa(cfg.Port),
		srv: &http.Server{
			Handler:           svc.Handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second, // the streamed user list extends its own deadline
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    MaxHeaderBytes,
			ErrorLog:          errorLog,
		},
	}}
	if svc.Metrics != nil {
		ls = append(ls, &listener{
			name: "metrics", setting: "METRICS_ADDR", addr: cfg.MetricsAddr,
			srv: &http.Server{
				Handler:           svc.Metrics,
				ReadHeaderTimeout: 10 * time.Second,
				WriteTimeout:      30 * time.Second,
				ErrorLog:          errorLog,
			},
		})
	}
	if cfg.PprofAddr != "" {
		if !loopbackAddr(cfg.PprofAddr) { // only outside live: CheckPprofAddr refuses it in live
			log.Warn("pprof listens beyond loopback", "addr", cfg.PprofAddr)
		}
		ls = append(ls, &listener{
			name: "pprof", setting: "PPROF_ADDR", addr: cfg.PprofAddr,
			// No write timeout: a CPU profile or trace takes as long as it is asked to.
			srv: &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errorLog},
		})
	}

	for i, l := range ls {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, open := range ls[:i] {
				open.ln.Close()
			}
			return nil, fmt.Errorf("%s: %w", l.setting, err)
		}
		l.ln = ln
	}
	for _, l := range ls {
		// Operators read these lines; tests use Serve's ready callback.
		if l.name == "public" {
			log.Info("listening", "addr", l.ln.Addr().String(), "env", cfg.Env)
		} else {
			log.Info(l.name+" listening", "addr", l.ln.Addr().String())
		}
	}
	return ls, nil
}

func addrsOf(ls []*listener) Addrs {
	var a Addrs
	for _, l := range ls {
		switch l.name {
		case "public":
			a.Public = l.ln.Addr().String()
		case "metrics":
			a.Metrics = l.ln.Addr().String()
		case "pprof":
			a.Pprof = l.ln.Addr().String()
		}
	}
	return a
}

// serve runs every listener and the background work in one group: the first
// failure, or ctx's end, shuts the listeners down; the background work stops
// only after that, so the requests still in flight during the shutdown keep
// the session cache and the rate limiter.
func serve(ctx context.Context, log *slog.Logger, timeout time.Duration, ls []*listener, background []func(context.Context) error) error {
	g, gctx := errgroup.WithContext(ctx)
	bgctx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	for _, l := range ls {
		g.Go(func() error {
			if err := l.srv.Serve(l.ln); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s listener: %w", l.name, err)
			}
			return nil
		})
	}
	for _, run := range background {
		g.Go(func() error { return run(bgctx) })
	}
	g.Go(func() error {
		<-gctx.Done()
		defer stopBackground()
		log.Info("shutting down", "timeout", timeout.String())
		return shutdown(ls, timeout)
	})
	if err := g.Wait(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// shutdown stops every listener at once and waits up to timeout for their
// requests to finish. Past it, the remaining connections are cut rather than
// left to run on into a closed database pool.
func shutdown(ls []*listener, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	errs := make([]error, len(ls))
	var wg sync.WaitGroup
	for i, l := range ls {
		wg.Go(func() {
			if err := l.srv.Shutdown(ctx); err != nil {
				_ = l.srv.Close()
				errs[i] = fmt.Errorf("shutdown of the %s listener: %w", l.name, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
