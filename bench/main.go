// Command bench measures the service against the limit of its stack and
// prints one table of every workload (W1 to W7, mem, start) against its target.
//
//	go run ./bench                       # everything, about 6 minutes
//	go run ./bench -duration 2s -runs 1  # a quick look
//	go run ./bench -workloads W1,W2 -profile W2
//
// It builds the server (go build), creates a fresh database bench_<random> on
// the PostgreSQL of -database-url (default: BENCH_DATABASE_URL, else the one
// the tests use: found on 127.0.0.1:5432 or started by internal/pglocal),
// migrates it, seeds users with COPY (20, then 1,000, then 1,000,000), starts
// the server on it (APP_ENV=local, BCRYPT_COST=12, rate limits off, pprof on a
// loopback port) and the reference limit server (a bare net/http + pgx
// handler, this binary re-executed with "limit-server"), drives each workload
// with a closed-loop keep-alive HTTP/1.1 load generator, and drops the
// database at the end. Runs are interleaved (ours, limit, ours, limit, ...):
// requests/s is the median of the runs, with min and max; p50 and p99 are the
// medians of the runs' percentiles; the ratio compares medians measured in
// this same invocation. The load generator, the server, the limit server and
// PostgreSQL share the machine's cores.
//
// Workloads: W1 REST list of 20 users with a token; W2 GraphQL users(first:20)
// with a token; W3 REST list of 1,000 users; W4 GraphQL pages at the start and
// beyond user 900,000 of 1,000,000; W5 a login storm at bcrypt cost 12 beside
// a W2 load; W6 GraphQL users(first:100) of 1,000 users with a token; W7 a
// frontend's mix, me, the W2 page and user(id:) in turn; mem: server RSS
// under W2; start: exec to /readyz 200 on a migrated database.
//
// -profile W2 (or W1,W2,...) captures a CPU profile of the server during an
// extra, unmeasured run of that workload through PPROF_ADDR and prints the top
// functions; the files stay in -out.
//
// Where things are: flags.go the command line; servers.go builds, starts and
// stops the service, limit.go is the limit server; db.go creates the bench
// database and seeds it; workloads.go runs W1..W5, mem and start, and
// frontend.go W6 and W7, with the requests of requests.go and the load
// generator of load.go; cpu.go reads CPU and memory from /proc; report.go
// prints the table.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "limit-server" {
		limitServerMain(os.Args[2:])
		return
	}
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench is the state of one invocation.
type bench struct {
	o         options
	bin       string // the service's binary
	dbURL     string // the bench database
	pool      *pgxpool.Pool
	pgVersion string
	seed      *seeder
	hash      []byte // every seeded user's password hash
	addr      string // the service's listen address
	pprof     string // the service's PPROF_ADDR
	env       []string
	accessLog io.Writer // the service's stdout; nil is /dev/null, with no copying goroutine in the bench
	errLog    io.Writer // both servers' stderr
	ours      *proc
	limit     *proc
	token     string // seeded user 1's
	rows      []row
	cpuRows   []cpuRow
	profiles  []string
	maxRSS    int64 // the highest VmRSS sampled during W2
	loadStart string
}

// log writes a timestamped progress line to stderr: stdout holds only the
// report.
func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// run sets the bench up (the server binary, a fresh database, the service's
// environment and migration, the first users, both servers), runs the
// workloads and prints the report; the deferred calls undo the setup.
func run(ctx context.Context, o options) (err error) {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	endOut, err := makeOut(&o)
	if err != nil {
		return err
	}
	defer func() { endOut(err) }()
	b := &bench{o: o, loadStart: loadavg()}
	if b.bin, err = serverBinary(ctx, root, o); err != nil {
		return err
	}

	adminURL, stopPG, err := adminServer(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer stopPG()
	closeDB, err := b.openDatabase(ctx, adminURL)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := b.prepareServer(ctx); err != nil {
		return err
	}
	if err := b.seedFirst(ctx); err != nil {
		return err
	}

	closeLogs, err := b.openLogs()
	if err != nil {
		return err
	}
	defer closeLogs()
	if o.workloads["start"] {
		if err := b.measureStart(ctx); err != nil {
			return err
		}
	}
	stopServers, err := b.startServers(ctx)
	if err != nil {
		return err
	}
	defer stopServers()
	if b.token, err = b.login(ctx, 1); err != nil {
		return err
	}

	if err := b.runWorkloads(ctx); err != nil {
		return err
	}
	b.print(os.Stdout)
	return nil
}

// makeOut creates the -out directory, or a temporary one. endOut removes a
// temporary directory at the end unless it holds profiles or the bench
// failed (the server's stderr is there).
func makeOut(o *options) (endOut func(runErr error), err error) {
	if o.out != "" {
		return func(error) {}, os.MkdirAll(o.out, 0o755)
	}
	if o.out, err = os.MkdirTemp("", "users-bench-"); err != nil {
		return nil, err
	}
	return func(runErr error) {
		if runErr == nil && len(o.profile) == 0 {
			os.RemoveAll(o.out)
		} else {
			log("files kept in %s", o.out)
		}
	}, nil
}
