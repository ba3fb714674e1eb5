package server

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"

	"users/internal/config"
)

// pprofHandler serves net/http/pprof. It gets a listener of its own
// (PPROF_ADDR) and never the public port: profiles show code paths and heap
// contents.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// CheckPprofAddr refuses a PPROF_ADDR in live that is not a loopback address
// (127.0.0.1:6060, [::1]:6060, localhost:6060): there pprof is reached
// through an SSH tunnel or kubectl port-forward. Elsewhere any address is
// allowed, and Serve warns when it is not loopback. run calls it before it
// touches the database; Serve calls it again.
func CheckPprofAddr(cfg config.Config) error {
	if cfg.Live() && cfg.PprofAddr != "" && !loopbackAddr(cfg.PprofAddr) {
		return fmt.Errorf("PPROF_ADDR %q: in live, pprof may only listen on a loopback address such as 127.0.0.1:6060", cfg.PprofAddr)
	}
	return nil
}

// loopbackAddr reports whether host:port names a loopback host; an empty
// host (":6060") means every interface, which is not.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
