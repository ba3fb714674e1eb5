package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
	"users/internal/testdb"
)

func TestRunRefusesPublicPprofInLive(t *testing.T) {
	env := map[string]string{
		"APP_ENV":      "live",
		"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", // never reached: the check comes first
		"SECRET_KEY":   apptest.NewKey(t),
		"PPROF_ADDR":   ":6060",
	}
	var out bytes.Buffer
	err := run(t.Context(), []string{"server"}, mapEnv(env), &out, nil)
	if err == nil || !strings.Contains(err.Error(), "PPROF_ADDR") {
		t.Fatalf("run = %v, want a PPROF_ADDR refusal", err)
	}
}

// TestRunServesPprofOnItsOwnListener: PPROF_ADDR gets a listener of its own,
// and the public port has no pprof.
func TestRunServesPprofOnItsOwnListener(t *testing.T) {
	r := startRun(t, map[string]string{
		"DATABASE_URL": testdb.NewURL(t),
		"PORT":         "0",
		"PPROF_ADDR":   "127.0.0.1:0",
		"LOG_FORMAT":   "json",
	})
	if r.addrs.Pprof == "" {
		t.Fatalf("no pprof listener: %+v", r.addrs)
	}
	pprof := apptest.Client{URL: apptest.BaseURL(r.addrs.Pprof)}
	if st := pprof.Status(t, "/debug/pprof/"); st != http.StatusOK {
		t.Errorf("pprof index on PPROF_ADDR: %d, want 200", st)
	}
	if st := r.Status(t, "/debug/pprof/"); st == http.StatusOK {
		t.Errorf("pprof answers on the public port")
	}
	if err := r.stop(t, 10*time.Second); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}
