package pglocal

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"users/internal/pgadmin"
)

// binaries are the server programs used for a throwaway cluster.
type binaries struct {
	initdb, pgctl string
}

// binGlobs are the places, besides PATH, where PostgreSQL installs its programs:
// Debian/Ubuntu, then RHEL/Fedora (PGDG), then a source build.
var binGlobs = []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin"}

// findBinaries finds initdb and pg_ctl: on PATH, else in the newest installed
// version's bin directory.
func findBinaries() (binaries, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		// Prefer the pg_ctl beside initdb, so that both have the same version.
		pgctl := filepath.Join(filepath.Dir(initdb), "pg_ctl")
		if !isExecutable(pgctl) {
			pgctl, err = exec.LookPath("pg_ctl")
		}
		if err == nil {
			return binaries{initdb: initdb, pgctl: pgctl}, nil
		}
	}
	for _, g := range binGlobs {
		dirs, _ := filepath.Glob(g)
		slices.SortFunc(dirs, func(a, b string) int { return compareVersions(versionOf(b), versionOf(a)) })
		for _, d := range dirs {
			b := binaries{initdb: filepath.Join(d, "initdb"), pgctl: filepath.Join(d, "pg_ctl")}
			if isExecutable(b.initdb) && isExecutable(b.pgctl) {
				return b, nil
			}
		}
	}
	return binaries{}, ErrNotInstalled
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// versionOf extracts the version from a bin directory such as
// /usr/lib/postgresql/16/bin or /usr/pgsql-9.6/bin.
func versionOf(binDir string) string {
	d := filepath.Base(filepath.Dir(binDir))
	return strings.TrimPrefix(d, "pgsql-")
}

// compareVersions compares dotted numeric versions ("9.6" < "10" < "16").
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// runner runs the server programs, as the postgres system user when we are root
// (initdb and postgres refuse to run as root).
type runner struct {
	asPostgres bool
	uid, gid   int
	dir        string // working directory, readable by the user running the programs
}

func newRunner() (runner, error) {
	if os.Geteuid() != 0 {
		return runner{}, nil
	}
	u, err := user.Lookup(postgresUser)
	if err != nil {
		return runner{}, fmt.Errorf("running as root, and initdb refuses root: need the %q system user: %w", postgresUser, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return runner{}, fmt.Errorf("uid of %q: %w", postgresUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return runner{}, fmt.Errorf("gid of %q: %w", postgresUser, err)
	}
	return runner{asPostgres: true, uid: uid, gid: gid}, nil
}

// command builds the command for prog with args, wrapped in runuser or su when the
// program must run as the postgres user.
func (r runner) command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	switch {
	case !r.asPostgres:
		cmd = exec.CommandContext(ctx, prog, args...)
	case haveRunuser():
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", postgresUser, "--", prog}, args...)...)
	default:
		quoted := make([]string, 0, len(args)+1)
		for _, a := range append([]string{prog}, args...) {
			quoted = append(quoted, shellQuote(a))
		}
		cmd = exec.CommandContext(ctx, "su", postgresUser, "-s", "/bin/sh", "-c", "exec "+strings.Join(quoted, " "))
	}
	cmd.Dir = r.dir
	return cmd
}

// run runs prog and returns its error with its output.
func (r runner) run(ctx context.Context, prog string, args ...string) error {
	out, err := r.command(ctx, prog, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(prog), err, strings.TrimSpace(string(out)))
	}
	return nil
}

var haveRunuser = sync.OnceValue(func() bool {
	_, err := exec.LookPath("runuser")
	return err == nil
})

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another process may
// take it before the server binds it; startThrowaway retries then.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Throwaway is a PostgreSQL cluster of its own in a temporary directory, on a
// free port of 127.0.0.1, that accepts user postgres without a password. Tests
// that stop and restart PostgreSQL use it, so they never touch a shared server.
type Throwaway struct {
	// URL is the cluster's maintenance database (postgres), as user postgres.
	URL string

	log  *slog.Logger
	bins binaries
	r    runner
	dir  string
	port int
	once sync.Once
}

// StartThrowaway creates a new cluster in a temporary directory and starts it on
// a free port. Close stops it and removes the directory. It fails with
// ErrNotInstalled when no PostgreSQL binaries are installed. A nil log discards
// the log lines.
func StartThrowaway(ctx context.Context, log *slog.Logger) (_ *Throwaway, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, err
	}
	r, err := newRunner()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pglocal-")
	if err != nil {
		return nil, fmt.Errorf("throwaway postgres: %w", err)
	}
	t := &Throwaway{log: log, bins: bins, r: r, dir: dir}
	// On failure, stop the server if it started, and remove the directory.
	started := false
	defer func() {
		if err != nil {
			if started {
				_ = t.pgctl(context.WithoutCancel(ctx), "stop", "-m", "immediate", "-w")
			}
			_ = os.RemoveAll(dir)
		}
	}()
	if r.asPostgres {
		if err := os.Chown(dir, r.uid, r.gid); err != nil {
			return nil, fmt.Errorf("throwaway postgres: %w", err)
		}
	}
	t.r.dir = dir

	t0 := time.Now()
	// --no-sync: the cluster lives no longer than this process, durability is moot.
	if err := r.run(ctx, bins.initdb, "-D", t.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return nil, fmt.Errorf("throwaway postgres: %w", err)
	}
	for attempt := 1; ; attempt++ {
		if t.port, err = freePort(); err != nil {
			return nil, fmt.Errorf("throwaway postgres: free port: %w", err)
		}
		err = t.start(ctx)
		if err == nil {
			started = true
			break
		}
		if attempt == 3 || ctx.Err() != nil {
			return nil, fmt.Errorf("throwaway postgres: %w", err)
		}
		log.Debug("throwaway postgres failed to start, retrying on another port", "port", t.port, "err", err)
	}
	t.URL = localURL(t.port)
	if err := waitReady(ctx, t.URL, clusterStartTimeout); err != nil {
		return nil, fmt.Errorf("throwaway postgres: %w", err)
	}
	log.Info("throwaway postgres started", "url", pgadmin.Redact(t.URL), "dir", dir, "took", time.Since(t0).Round(time.Millisecond))
	return t, nil
}

// startThrowaway is StartThrowaway for Ensure: the URL and a stop function.
func startThrowaway(ctx context.Context, log *slog.Logger) (url string, stop func(), err error) {
	t, err := StartThrowaway(ctx, log)
	if err != nil {
		return "", nil, err
	}
	return t.URL, t.Close, nil
}

func (t *Throwaway) data() string { return filepath.Join(t.dir, "data") }

// pgctl runs pg_ctl cmd on the cluster's data directory.
func (t *Throwaway) pgctl(ctx context.Context, cmd string, args ...string) error {
	return t.r.run(ctx, t.bins.pgctl, append([]string{cmd, "-D", t.data()}, args...)...)
}

// start starts the server on t.port and waits until it accepts connections.
func (t *Throwaway) start(ctx context.Context) error {
	// Settings on the command line; the directory is quoted because pg_ctl
	// hands the options to /bin/sh.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
		t.port, shellQuote(t.dir))
	err := t.pgctl(ctx, "start", "-l", filepath.Join(t.dir, "postgres.log"), "-w", "-t", "60", "-o", opts)
	if err != nil {
		if b, rerr := os.ReadFile(filepath.Join(t.dir, "postgres.log")); rerr == nil {
			err = fmt.Errorf("%w\n%s", err, strings.TrimSpace(string(b)))
		}
	}
	return err
}

// Stop shuts the server down as an operator's fast shutdown does (open
// sessions are ended, new connections refused), keeping its data.
func (t *Throwaway) Stop(ctx context.Context) error {
	if err := t.pgctl(ctx, "stop", "-m", "fast", "-w"); err != nil {
		return fmt.Errorf("stop throwaway postgres: %w", err)
	}
	return nil
}

// Start starts a stopped server again, on the same port and data, and waits
// until it accepts connections.
func (t *Throwaway) Start(ctx context.Context) error {
	if err := t.start(ctx); err != nil {
		return fmt.Errorf("restart throwaway postgres: %w", err)
	}
	return waitReady(ctx, t.URL, clusterStartTimeout)
}

// Close stops the server and removes its directory; it may be called more
// than once.
func (t *Throwaway) Close() {
	t.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := t.pgctl(ctx, "stop", "-m", "fast", "-w"); err != nil && !t.stopped(ctx) {
			t.log.Warn("throwaway postgres did not stop", "dir", t.dir, "err", err)
		}
		if err := os.RemoveAll(t.dir); err != nil {
			t.log.Warn("throwaway postgres directory not removed", "dir", t.dir, "err", err)
		}
		t.log.Info("throwaway postgres stopped", "dir", t.dir)
	})
}

// stopped reports whether the server is not running (pg_ctl status exits 3).
func (t *Throwaway) stopped(ctx context.Context) bool {
	return t.pgctl(ctx, "status") != nil
}
