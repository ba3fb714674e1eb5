package main

import (
	"errors"
	"flag"
	"os"
	"strings"
	"time"
)

// options are the command-line flags of one invocation.
type options struct {
	duration, warmup time.Duration
	runs, conns      int
	workloads        map[string]bool
	profile          map[string]bool
	big              int
	out              string
	databaseURL      string
	keep             bool
	loginConns       int
	w5Conns          int
	w5Rate           float64
	cost             int
	limitConns       int
	serverLog        bool
	serverBin        string
	serverEnv        []string
}

// parseFlags reads the command line; -h prints every flag.
func parseFlags() options {
	var o options
	var workloads, profile string
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each run")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each run")
	flag.IntVar(&o.runs, "runs", 3, "runs per server and workload, interleaved")
	flag.IntVar(&o.conns, "conns", 64, "load generator connections")
	flag.StringVar(&workloads, "workloads", "W1,W2,W3,W4,W5,W6,W7,mem,start", "comma-separated workloads to run")
	flag.StringVar(&profile, "profile", "", "comma-separated workloads to CPU-profile in an extra run (W1..W7)")
	flag.IntVar(&o.big, "big", 1_000_000, "users in the table for W4")
	flag.StringVar(&o.out, "out", "", "directory for the server binary, profiles and logs (default: a new temporary directory)")
	flag.StringVar(&o.databaseURL, "database-url", os.Getenv("BENCH_DATABASE_URL"), "PostgreSQL server to create the bench database on (a role that may CREATE DATABASE); default: 127.0.0.1:5432 or a throwaway cluster")
	flag.BoolVar(&o.keep, "keep", false, "keep the bench database")
	flag.IntVar(&o.loginConns, "login-conns", 8, "W5: concurrent login clients in the storm")
	flag.IntVar(&o.w5Conns, "w5-conns", 8, "W5: connections of the W2 load beside the storm")
	flag.Float64Var(&o.w5Rate, "w5-rate", 200, "W5: requests/s of the W2 load beside the storm (0: closed loop, as fast as it answers)")
	flag.IntVar(&o.cost, "bcrypt-cost", 12, "BCRYPT_COST of the server and of the seeded hashes")
	flag.IntVar(&o.limitConns, "limit-conns", 10, "pool size of the limit server (the service's DB_MAX_CONNS default is 10)")
	flag.StringVar(&o.serverBin, "server-bin", "", "benchmark this server binary instead of building one (to compare two versions)")
	flag.Func("server-env", "extra KEY=VALUE for the server's environment only (repeatable), such as GOGC=200", func(v string) error {
		if !strings.Contains(v, "=") {
			return errors.New("want KEY=VALUE")
		}
		o.serverEnv = append(o.serverEnv, v)
		return nil
	})
	flag.BoolVar(&o.serverLog, "server-log", false, "keep the server's access log in -out (default: discarded; the server still formats and writes every line)")
	flag.Parse()
	o.workloads = set(workloads)
	o.profile = set(profile)
	return o
}

// set splits a comma-separated list. Each name is there as given and with its
// first letter upper-case, so w1 selects W1.
func set(s string) map[string]bool {
	m := map[string]bool{}
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			m[strings.ToUpper(f[:1])+f[1:]] = true
			m[f] = true
		}
	}
	return m
}
