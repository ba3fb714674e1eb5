// Command bench measures the service against the limit of its stack and
// prints one table of every workload of issue 6 against its target.
//
//	go run ./bench                       # everything, about 4.5 minutes
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
// a W2 load; mem: server RSS under W2; start: exec to /readyz 200 on a migrated
// database.
//
// -profile W2 (or W1,W2,...) captures a CPU profile of the server during an
// extra, unmeasured run of that workload through PPROF_ADDR and prints the top
// functions; the files stay in -out.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"

	"users/graph"
	"users/internal/pglocal"
)

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

func main() {
	if len(os.Args) > 1 && os.Args[1] == "limit-server" {
		fs := flag.NewFlagSet("limit-server", flag.ExitOnError)
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		dbURL := fs.String("db", "", "database URL")
		conns := fs.Int("conns", 10, "pool size")
		_ = fs.Parse(os.Args[2:])
		if err := runLimitServer(*addr, *dbURL, *conns); err != nil {
			fmt.Fprintln(os.Stderr, "limit-server:", err)
			os.Exit(1)
		}
		return
	}

	var o options
	var workloads, profile string
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each run")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each run")
	flag.IntVar(&o.runs, "runs", 3, "runs per server and workload, interleaved")
	flag.IntVar(&o.conns, "conns", 64, "load generator connections")
	flag.StringVar(&workloads, "workloads", "W1,W2,W3,W4,W5,mem,start", "comma-separated workloads to run")
	flag.StringVar(&profile, "profile", "", "comma-separated workloads to CPU-profile in an extra run (W1..W5)")
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

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

// bench is the state of one invocation.
type bench struct {
	o         options
	pool      *pgxpool.Pool
	bin       string
	dbURL     string
	env       []string
	ours      *proc
	limit     *proc
	pprof     string
	token     string
	rows      []row
	cpuRows   []cpuRow
	profiles  []string
	mem       struct{ rss, hwm int64 }
	loadStart string
	hash      []byte
}

// row is one line of the table.
type row struct {
	workload, server string
	runs             []result
	rpsUnit          string // "req/s" or "logins/s"
	ratio, target    string
	pass             *bool
	note             string
}

type cpuRow struct {
	workload, server string
	perReq           cpuSnap
	busy             float64 // cores busy on average during the windows
}

func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(ctx context.Context, o options) (err error) {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.out == "" {
		if o.out, err = os.MkdirTemp("", "users-bench-"); err != nil {
			return err
		}
		// A temporary directory goes at the end unless it holds profiles or
		// the bench failed (the server's stderr is there).
		defer func() {
			if err == nil && len(o.profile) == 0 {
				os.RemoveAll(o.out)
			} else {
				log("files kept in %s", o.out)
			}
		}()
	} else if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	b := &bench{o: o, bin: filepath.Join(o.out, "server"), loadStart: loadavg()}

	if o.serverBin != "" {
		if b.bin, err = filepath.Abs(o.serverBin); err != nil {
			return err
		}
		log("using the server binary %s", b.bin)
	} else {
		log("building the server into %s", b.bin)
		if err := buildServer(ctx, root, b.bin); err != nil {
			return err
		}
	}

	adminURL := o.databaseURL
	if adminURL == "" {
		u, stopPG, err := pglocal.Ensure(ctx, nil)
		if err != nil {
			return err
		}
		defer stopPG()
		adminURL = u
	}
	dbURL, dbName, err := createDatabase(ctx, adminURL)
	if err != nil {
		return err
	}
	log("created database %s", dbName)
	defer func() {
		if o.keep {
			log("kept database %s", dbName)
			return
		}
		if derr := dropDatabase(adminURL, dbName); derr != nil {
			log("drop database %s: %v", dbName, derr)
		} else {
			log("dropped database %s", dbName)
		}
	}()
	b.dbURL = dbURL

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	b.pool = pool
	var pgVersion string
	if err := pool.QueryRow(ctx, "SHOW server_version").Scan(&pgVersion); err != nil {
		return err
	}

	addr, err := freeAddr()
	if err != nil {
		return err
	}
	if b.pprof, err = freeAddr(); err != nil {
		return err
	}
	b.env = append(baseEnv(),
		"APP_ENV=local",
		"DATABASE_URL="+dbURL,
		"PORT="+addr[strings.LastIndexByte(addr, ':')+1:],
		"BCRYPT_COST="+strconv.Itoa(o.cost),
		"RATE_LIMIT_LOGIN=0",
		"RATE_LIMIT_SIGNUP=0",
		"PPROF_ADDR="+b.pprof,
		"LOG_FORMAT=json",
	)
	b.env = append(b.env, o.serverEnv...)

	// Migrate once, so every start below is a start on a migrated database.
	mig := exec.CommandContext(ctx, b.bin, "migrate")
	mig.Env = b.env
	if out, err := mig.CombinedOutput(); err != nil {
		return fmt.Errorf("server migrate: %v\n%s", err, out)
	}

	log("hashing the seed password at cost %d", o.cost)
	hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), o.cost)
	if err != nil {
		return err
	}
	b.hash = hash
	seed := newSeeder(pool, string(hash))
	if d, err := seed.seedTo(ctx, 20); err != nil {
		return err
	} else {
		log("seeded 20 users in %v", d.Round(time.Millisecond))
	}

	// The access log (stdout) is discarded unless -server-log: the server
	// still formats and writes every line. Errors (stderr) are kept.
	var serverLog io.Writer // nil: /dev/null, no copying goroutine in the bench
	if o.serverLog {
		f, err := os.Create(filepath.Join(o.out, "server.log"))
		if err != nil {
			return err
		}
		defer f.Close()
		serverLog = f
	}
	errLog, err := os.Create(filepath.Join(o.out, "server.stderr"))
	if err != nil {
		return err
	}
	defer errLog.Close()

	if o.workloads["start"] {
		if err := b.measureStart(ctx, addr, errLog); err != nil {
			return err
		}
	}
	b.ours, _, err = start(ctx, "server", []string{b.bin}, b.env, addr, "/readyz", serverLog, errLog)
	if err != nil {
		return err
	}
	defer b.ours.stop()

	limitAddr, err := freeAddr()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b.limit, _, err = start(ctx, "limit server",
		[]string{self, "limit-server", "-addr", limitAddr, "-db", dbURL, "-conns", strconv.Itoa(o.limitConns)},
		baseEnv(), limitAddr, "/readyz", errLog, errLog)
	if err != nil {
		return err
	}
	defer b.limit.stop()

	if b.token, err = b.login(ctx, 1); err != nil {
		return err
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"W1", b.w1}, {"W2", b.w2}, {"W5", b.w5},
		{"W3", func(ctx context.Context) error { return b.w3(ctx, seed) }},
		{"W4", func(ctx context.Context) error { return b.w4(ctx, seed) }},
	}
	for _, s := range steps {
		if !o.workloads[s.name] && !(s.name == "W2" && o.workloads["mem"]) {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}

	b.print(os.Stdout, pgVersion)
	return nil
}

// measureStart starts the server three times on the migrated database and
// records exec to the first /readyz 200.
func (b *bench) measureStart(ctx context.Context, addr string, errLog io.Writer) error {
	var runs []result
	for range 3 {
		p, d, err := start(ctx, "server", []string{b.bin}, b.env, addr, "/readyz", nil, errLog)
		if err != nil {
			return err
		}
		p.stop()
		runs = append(runs, result{requests: 1, window: d, lat: []time.Duration{d}})
	}
	ds := make([]time.Duration, len(runs))
	for i, r := range runs {
		ds[i] = r.window
	}
	med := median(ds)
	pass := med <= 300*time.Millisecond
	b.rows = append(b.rows, row{
		workload: "start: exec to /readyz 200 (migrated db)", server: "ours", runs: runs, rpsUnit: "start",
		ratio: fmtDur(med), target: "<= 300ms", pass: &pass,
		note: fmt.Sprintf("median of 3 starts (min %s, max %s)", fmtDur(slices.Min(ds)), fmtDur(slices.Max(ds))),
	})
	log("start to ready: %v", ds)
	return nil
}

// login logs seeded user n in through GraphQL and returns the token.
func (b *bench) login(ctx context.Context, n int) (string, error) {
	status, body, err := fetch(ctx, b.loginRequest(func(int, int) int { return n }))
	if err != nil {
		return "", err
	}
	var r struct {
		Data struct{ Login struct{ Token string } }
	}
	if err := json.Unmarshal(body, &r); err != nil || status != 200 || r.Data.Login.Token == "" {
		return "", fmt.Errorf("login: %d %s", status, body)
	}
	return r.Data.Login.Token, nil
}

const loginQuery = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }`

func (b *bench) loginRequest(user func(worker, i int) int) request {
	return request{
		method: http.MethodPost,
		url:    b.ours.base + "/graphql",
		header: http.Header{"Content-Type": {"application/json"}},
		body: func(w, i int) []byte {
			body, _ := json.Marshal(map[string]any{
				"query":     loginQuery,
				"variables": map[string]any{"email": email(user(w, i)), "password": benchPassword},
			})
			return body
		},
		ok: func(body []byte) bool { return strings.Contains(string(body), `"token":"`) },
	}
}

// The workloads' requests.

func (b *bench) restList(base, token string, limit int) request {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", token)
	}
	u := base + "/v1/users"
	if limit > 0 {
		u += "?limit=" + strconv.Itoa(limit)
	}
	return request{method: http.MethodGet, url: u, header: h, ok: envelopeOK}
}

func envelopeOK(body []byte) bool {
	s := string(body[:min(len(body), 40)])
	return strings.HasPrefix(strings.ReplaceAll(s, " ", ""), `{"meta":{"code":200`)
}

const usersQuery = `query Users($first: Int, $after: String) { users(first: $first, after: $after) { nodes { id username email info created modified } pageInfo { hasNextPage endCursor } } }`

// graphqlUsers is users(first: 20, after: after(worker, i)); after may be nil.
func (b *bench) graphqlUsers(after func(worker, i int) string) request {
	fixed, _ := json.Marshal(map[string]any{"query": usersQuery, "variables": map[string]any{"first": 20}})
	return request{
		method: http.MethodPost,
		url:    b.ours.base + "/graphql",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {b.token}},
		body: func(w, i int) []byte {
			if after == nil {
				return fixed
			}
			body, _ := json.Marshal(map[string]any{"query": usersQuery, "variables": map[string]any{"first": 20, "after": after(w, i)}})
			return body
		},
		ok: func(body []byte) bool {
			return strings.HasPrefix(string(body), `{"data":{"users":{"nodes":[{`) && !strings.Contains(string(body), `"errors"`)
		},
	}
}

// check sends req once and verifies the answer holds want users.
func check(ctx context.Context, what string, req request, want int) error {
	status, body, err := fetch(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var v struct {
		Data json.RawMessage `json:"data"`
	}
	if status != 200 || json.Unmarshal(body, &v) != nil {
		return fmt.Errorf("%s: %d %.300s", what, status, body)
	}
	var list []json.RawMessage
	if json.Unmarshal(v.Data, &list) != nil {
		var g struct {
			Users struct{ Nodes []json.RawMessage }
		}
		if err := json.Unmarshal(v.Data, &g); err != nil {
			return fmt.Errorf("%s: %.300s", what, body)
		}
		list = g.Users.Nodes
	}
	if len(list) != want || (req.ok != nil && !req.ok(body)) {
		return fmt.Errorf("%s: %d users (want %d): %.300s", what, len(list), want, body)
	}
	return nil
}

// snap and snapLimit account the CPU of one run. The PostgreSQL backends are
// those connected to the bench database when the window opens (the servers'
// pools are warm by then).
func (b *bench) snap() cpuSnap { return snapCPU(b.ours.pid(), b.backends()) }

func (b *bench) snapLimit() cpuSnap { return snapCPU(b.limit.pid(), b.backends()) }

func (b *bench) backends() []int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := b.pool.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out
}

// pair runs ours and the limit interleaved and adds their two rows.
func (b *bench) pair(ctx context.Context, name, workload string, ours, limit request, conns int, target float64, during func(i int)) {
	var ro, rl []result
	for i := range b.o.runs {
		log("%s run %d/%d: ours", name, i+1, b.o.runs)
		stopSampler := func() {}
		if during != nil {
			stopSampler = b.sampleMemory()
		}
		ro = append(ro, drive(ctx, ours, conns, b.o.warmup, b.o.duration, b.snap))
		stopSampler()
		log("%s run %d/%d: limit", name, i+1, b.o.runs)
		rl = append(rl, drive(ctx, limit, conns, b.o.warmup, b.o.duration, b.snapLimit))
	}
	ratio := medianRPS(ro) / medianRPS(rl)
	pass := ratio >= target
	b.rows = append(b.rows,
		row{workload: workload, server: "ours", runs: ro, rpsUnit: "req/s",
			ratio: fmt.Sprintf("%.2fx", ratio), target: fmt.Sprintf(">= %.1fx limit", target), pass: &pass},
		row{workload: "", server: "limit", runs: rl, rpsUnit: "req/s"},
	)
	b.cpuRows = append(b.cpuRows, cpuOf(name, "ours", ro), cpuOf(name, "limit", rl))
	if b.o.profile[name] {
		b.profileRun(ctx, name, ours, conns, nil)
	}
}

func (b *bench) w1(ctx context.Context) error {
	ours, limit := b.restList(b.ours.base, b.token, 0), b.restList(b.limit.base, "", 0)
	if err := check(ctx, "W1 ours", ours, 20); err != nil {
		return err
	}
	if err := check(ctx, "W1 limit", limit, 20); err != nil {
		return err
	}
	b.pair(ctx, "W1", "W1 REST GET /v1/users, 20 users", ours, limit, b.o.conns, 0.8, nil)
	return nil
}

func (b *bench) w2(ctx context.Context) error {
	ours, limit := b.graphqlUsers(nil), b.restList(b.limit.base, "", 20)
	if err := check(ctx, "W2 ours", ours, 20); err != nil {
		return err
	}
	if err := check(ctx, "W2 limit", limit, 20); err != nil {
		return err
	}
	var sample func(int)
	if b.o.workloads["mem"] {
		sample = func(int) {}
	}
	b.pair(ctx, "W2", "W2 GraphQL users(first: 20)", ours, limit, b.o.conns, 0.6, sample)
	if !b.o.workloads["W2"] { // only wanted for the memory row
		b.rows = b.rows[:len(b.rows)-2]
		b.cpuRows = b.cpuRows[:len(b.cpuRows)-2]
	}
	if b.o.workloads["mem"] {
		_, hwm, err := memory(b.ours.pid())
		if err != nil {
			return err
		}
		peak := max(hwm, b.mem.rss)
		pass := peak <= 100<<20
		b.rows = append(b.rows, row{
			workload: "mem: server RSS under W2", server: "ours", rpsUnit: "mem",
			ratio: fmt.Sprintf("%.1f MiB", float64(peak)/(1<<20)), target: "<= 100 MiB", pass: &pass,
			note: fmt.Sprintf("VmHWM (peak since start) %.1f MiB; max VmRSS sampled during W2 %.1f MiB", float64(hwm)/(1<<20), float64(b.mem.rss)/(1<<20)),
		})
	}
	return nil
}

// sampleMemory records the server's VmRSS every 50 ms until the returned
// function is called.
func (b *bench) sampleMemory() func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := memory(b.ours.pid()); err == nil {
				b.mem.rss = max(b.mem.rss, rss)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (b *bench) w3(ctx context.Context, seed *seeder) error {
	d, err := seed.seedTo(ctx, 1000)
	if err != nil {
		return err
	}
	log("seeded up to 1,000 users in %v", d.Round(time.Millisecond))
	ours, limit := b.restList(b.ours.base, b.token, 0), b.restList(b.limit.base, "", 0)
	if err := check(ctx, "W3 ours", ours, 1000); err != nil {
		return err
	}
	if err := check(ctx, "W3 limit", limit, 1000); err != nil {
		return err
	}
	b.pair(ctx, "W3", "W3 REST GET /v1/users, 1,000 users", ours, limit, b.o.conns, 0.8, nil)
	return nil
}

func (b *bench) w4(ctx context.Context, seed *seeder) error {
	log("seeding up to %d users", b.o.big)
	d, err := seed.seedTo(ctx, b.o.big)
	if err != nil {
		return err
	}
	log("seeded up to %d users in %v", b.o.big, d.Round(time.Millisecond))
	deepFrom := b.o.big * 9 / 10
	span := b.o.big - deepFrom - 20
	first := b.graphqlUsers(nil)
	deep := b.graphqlUsers(func(w, i int) string {
		// A different page each time, all beyond user 900,000 (of 1,000,000).
		return graph.Cursor(int32(deepFrom + (w*7919+i*104729)%span))
	})
	if err := check(ctx, "W4 first", first, 20); err != nil {
		return err
	}
	if err := check(ctx, "W4 deep", deep, 20); err != nil {
		return err
	}
	var rf, rd []result
	for i := range b.o.runs {
		log("W4 run %d/%d: first page", i+1, b.o.runs)
		rf = append(rf, drive(ctx, first, b.o.conns, b.o.warmup, b.o.duration, b.snap))
		log("W4 run %d/%d: pages after %d", i+1, b.o.runs, deepFrom)
		rd = append(rd, drive(ctx, deep, b.o.conns, b.o.warmup, b.o.duration, b.snap))
	}
	p99f, p99d := medianPct(rf, 0.99), medianPct(rd, 0.99)
	ratio := float64(p99d) / float64(p99f)
	pass := ratio <= 1.5
	b.rows = append(b.rows,
		row{workload: fmt.Sprintf("W4 GraphQL first page of %s users", thousands(b.o.big)), server: "ours", runs: rf, rpsUnit: "req/s"},
		row{workload: fmt.Sprintf("W4 GraphQL pages after user %s", thousands(deepFrom)), server: "ours", runs: rd, rpsUnit: "req/s",
			ratio: fmt.Sprintf("%.2fx p99", ratio), target: "<= 1.5x first p99", pass: &pass},
	)
	b.cpuRows = append(b.cpuRows, cpuOf("W4 first", "ours", rf), cpuOf("W4 deep", "ours", rd))
	if b.o.profile["W4"] {
		b.profileRun(ctx, "W4", deep, b.o.conns, nil)
	}
	return nil
}

// bcryptTime measures one bcrypt comparison at the configured cost, here, now.
func (b *bench) bcryptTime() (time.Duration, error) {
	hash := b.hash // the seeded users' hash, at the server's cost
	var ds []time.Duration
	for range 3 {
		t := time.Now()
		if err := bcrypt.CompareHashAndPassword(hash, []byte(benchPassword)); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	return median(ds), nil
}

// w5 is the login storm. Each run has three phases: W2 alone, the storm
// alone, and both together. The storm alone gives logins/s against the bcrypt
// bound (can bounded bcrypt concurrency use the cores?); the pair gives W2's
// p99 beside the storm against W2 alone (does bcrypt starve other requests?),
// and logins/s beside W2 for information. By default the W2 beside the storm
// is paced (-w5-rate requests/s over -w5-conns connections), an interactive
// load that leaves the cores to bcrypt; a closed-loop W2 would take half the
// cores from the storm by design, and the two targets could not both hold.
func (b *bench) w5(ctx context.Context) error {
	cores := runtime.NumCPU()
	w2 := b.graphqlUsers(nil)
	storm := b.loginRequest(func(w, i int) int { return 1 + (w*31+i)%20 })
	w2load := fmt.Sprintf("%d conns", b.o.w5Conns)
	if b.o.w5Rate > 0 {
		w2load = fmt.Sprintf("%.0f req/s over %d conns", b.o.w5Rate, b.o.w5Conns)
	}
	var alone, beside, logins, loginsBeside []result
	var hashTimes []time.Duration
	for i := range b.o.runs {
		log("W5 run %d/%d: W2 alone (%s)", i+1, b.o.runs, w2load)
		alone = append(alone, driveAt(ctx, w2, b.o.w5Conns, b.o.w5Rate, b.o.warmup, b.o.duration, nil))
		one, err := b.bcryptTime()
		if err != nil {
			return err
		}
		hashTimes = append(hashTimes, one)
		log("W5 run %d/%d: one bcrypt at cost %d takes %v here: bound %.2f logins/s on %d cores", i+1, b.o.runs, b.o.cost, one.Round(time.Millisecond), float64(cores)/one.Seconds(), cores)
		// Twice as long: a few logins a second need a longer window to count.
		log("W5 run %d/%d: login storm alone (%d conns)", i+1, b.o.runs, b.o.loginConns)
		logins = append(logins, drive(ctx, storm, b.o.loginConns, b.o.warmup, 2*b.o.duration, nil))
		log("W5 run %d/%d: W2 (%s) beside the login storm", i+1, b.o.runs, w2load)
		var wg sync.WaitGroup
		var rs result
		wg.Go(func() { rs = drive(ctx, storm, b.o.loginConns, b.o.warmup, b.o.duration, nil) })
		beside = append(beside, driveAt(ctx, w2, b.o.w5Conns, b.o.w5Rate, b.o.warmup, b.o.duration, nil))
		wg.Wait()
		loginsBeside = append(loginsBeside, rs)
	}
	one := median(hashTimes)
	bound := float64(cores) / one.Seconds()
	lr := medianRPS(logins) / bound
	lpass := lr >= 0.9
	pr := float64(medianPct(beside, 0.99)) / float64(medianPct(alone, 0.99))
	ppass := pr <= 3
	b.rows = append(b.rows,
		row{workload: fmt.Sprintf("W5 login storm, cost %d, %d conns", b.o.cost, b.o.loginConns), server: "ours", runs: logins, rpsUnit: "logins/s",
			ratio: fmt.Sprintf("%.2fx bound", lr), target: fmt.Sprintf(">= 0.9x %.2f/s", bound), pass: &lpass,
			note: fmt.Sprintf("bound = %d cores / %v per bcrypt.CompareHashAndPassword at cost %d (median of 3 x %d, measured by the bench between the phases of this run); the storm alone runs twice -duration", cores, one.Round(time.Millisecond), b.o.cost, b.o.runs)},
		row{workload: "W5 same storm beside W2", server: "ours", runs: loginsBeside, rpsUnit: "logins/s",
			ratio: fmt.Sprintf("%.2fx bound", medianRPS(loginsBeside)/bound)},
		row{workload: "W5 W2 alone, " + w2load, server: "ours", runs: alone, rpsUnit: "req/s"},
		row{workload: "W5 W2 beside the storm", server: "ours", runs: beside, rpsUnit: "req/s",
			ratio: fmt.Sprintf("%.2fx p99", pr), target: "<= 3x alone p99", pass: &ppass},
	)
	if b.o.profile["W5"] {
		b.profileRun(ctx, "W5", w2, b.o.w5Conns, &storm)
	}
	return nil
}

// profileRun drives one extra, unmeasured run of ours while the server
// records a CPU profile, and saves and summarises it.
func (b *bench) profileRun(ctx context.Context, name string, req request, conns int, beside *request) {
	secs := max(1, int(b.o.duration.Round(time.Second).Seconds()))
	log("%s: profiling the server for %ds", name, secs)
	var wg sync.WaitGroup
	wg.Go(func() { drive(ctx, req, conns, b.o.warmup, time.Duration(secs)*time.Second+500*time.Millisecond, nil) })
	if beside != nil {
		wg.Go(func() {
			drive(ctx, *beside, b.o.loginConns, b.o.warmup, time.Duration(secs)*time.Second+500*time.Millisecond, nil)
		})
	}
	sleep(ctx, b.o.warmup)
	file := filepath.Join(b.o.out, name+".cpu.pprof")
	err := func() error {
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprof, secs))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("pprof: %s", resp.Status)
		}
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(f, resp.Body)
		return err
	}()
	wg.Wait()
	if err != nil {
		log("%s: profile: %v", name, err)
		return
	}
	b.profiles = append(b.profiles, name)
}

// The table.

func (b *bench) print(w io.Writer, pgVersion string) {
	fmt.Fprintf(w, "\nusers service benchmark: %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(w, "machine: %d cores (%s), %s, PostgreSQL %s, GOMAXPROCS %d\n", runtime.NumCPU(), cpuModel(), runtime.Version(), pgVersion, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "flags: -duration %v -warmup %v -runs %d -conns %d -login-conns %d -w5-conns %d -w5-rate %g -bcrypt-cost %d -limit-conns %d -big %d\n",
		b.o.duration, b.o.warmup, b.o.runs, b.o.conns, b.o.loginConns, b.o.w5Conns, b.o.w5Rate, b.o.cost, b.o.limitConns, b.o.big)
	fmt.Fprintf(w, "load average at start: %s, at end: %s (anything else running makes the numbers noisy)\n", b.loadStart, loadavg())
	fmt.Fprintln(w, "load generator, server, limit server and PostgreSQL share these cores; req/s is the median of the runs (min-max), p50/p99 the medians of the runs' percentiles")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| %-44s | %-5s | %-26s | %-8s | %-8s | %-6s | %-12s | %-18s | %-6s |\n", "workload", "srv", "rate: median (min-max)", "p50", "p99", "errors", "ratio", "target", "result")
	fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(46), dashes(7), dashes(28), dashes(10), dashes(10), dashes(8), dashes(14), dashes(20), dashes(8))
	for _, r := range b.rows {
		rate, p50, p99, errs := "", "", "", ""
		switch r.rpsUnit {
		case "req/s", "logins/s":
			rps := make([]float64, len(r.runs))
			n := 0
			for i, x := range r.runs {
				rps[i] = x.rps()
				n += x.errors
			}
			unit := ""
			if r.rpsUnit == "logins/s" {
				unit = " logins/s"
			}
			rate = fmt.Sprintf("%s (%s-%s)%s", fmtRate(median(rps)), fmtRate(slices.Min(rps)), fmtRate(slices.Max(rps)), unit)
			p50, p99, errs = fmtDur(medianPct(r.runs, 0.5)), fmtDur(medianPct(r.runs, 0.99)), strconv.Itoa(n)
		}
		result := ""
		if r.pass != nil {
			result = "FAIL"
			if *r.pass {
				result = "pass"
			}
		}
		fmt.Fprintf(w, "| %-44s | %-5s | %-26s | %8s | %8s | %6s | %-12s | %-18s | %-6s |\n", r.workload, r.server, rate, p50, p99, errs, r.ratio, r.target, result)
	}
	var notes []string
	for _, r := range b.rows {
		if r.note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", strings.TrimSpace(r.workload), r.note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	if len(b.cpuRows) > 0 {
		fmt.Fprintln(w, "\nCPU time per request (µs, median of the runs): where the cores went. postgres: the backends of the bench database;")
		fmt.Fprintln(w, "other: the rest of the machine (anything else running: it makes runs noisy); busy: cores busy machine-wide during the window")
		fmt.Fprintf(w, "| %-10s | %-5s | %8s | %10s | %14s | %8s | %8s | %6s |\n", "workload", "srv", "server", "postgres", "load generator", "other", "total", "busy")
		fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(12), dashes(7), dashes(10), dashes(12), dashes(16), dashes(10), dashes(10), dashes(8))
		us := func(d time.Duration) string {
			return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64)
		}
		for _, c := range b.cpuRows {
			fmt.Fprintf(w, "| %-10s | %-5s | %8s | %10s | %14s | %8s | %8s | %6.2f |\n", c.workload, c.server, us(c.perReq.server), us(c.perReq.postgres),
				us(c.perReq.loadgen), us(c.perReq.other()), us(c.perReq.machine), c.busy)
		}
	}
	for _, name := range b.profiles {
		file := filepath.Join(b.o.out, name+".cpu.pprof")
		fmt.Fprintf(w, "\nCPU profile of the server during %s: %s\n", name, file)
		for _, mode := range [][]string{{"-top"}, {"-top", "-cum"}} {
			args := append([]string{"tool", "pprof"}, mode...)
			args = append(args, "-nodecount=25", b.bin, file)
			out, err := exec.Command("go", args...).Output()
			if err != nil {
				fmt.Fprintf(w, "go tool pprof: %v\n", err)
				continue
			}
			_ = os.WriteFile(filepath.Join(b.o.out, name+strings.Join(mode, "")+".txt"), out, 0o644)
			fmt.Fprintf(w, "go tool pprof %s:\n%s", strings.Join(mode, " "), indent(string(out)))
		}
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func dashes(n int) string { return strings.Repeat("-", n) }

func indent(s string) string {
	var out strings.Builder
	for line := range strings.Lines(s) {
		out.WriteString("    " + line)
	}
	return out.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func medianRPS(rs []result) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r.rps()
	}
	return median(xs)
}

func medianPct(rs []result, p float64) time.Duration {
	xs := make([]time.Duration, len(rs))
	for i, r := range rs {
		xs[i] = r.pct(p)
	}
	return median(xs)
}

func cpuOf(workload, server string, rs []result) cpuRow {
	var s, p, l, m []time.Duration
	var busy []float64
	for _, r := range rs {
		n := time.Duration(max(1, r.requests))
		s, p, l, m = append(s, r.cpu.server/n), append(p, r.cpu.postgres/n), append(l, r.cpu.loadgen/n), append(m, r.cpu.machine/n)
		busy = append(busy, r.cpu.machine.Seconds()/r.window.Seconds())
	}
	return cpuRow{workload, server, cpuSnap{server: median(s), postgres: median(p), loadgen: median(l), machine: median(m)}, median(busy)}
}

func fmtRate(x float64) string {
	if x < 100 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
