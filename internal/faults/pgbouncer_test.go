package faults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBouncer is a real PgBouncer in transaction mode, as platforms run their
// poolers, in front of one PostgreSQL server: every database of that server
// is reachable through it under the same name.
type pgBouncer struct {
	url  string // postgres://postgres@127.0.0.1:PORT/postgres
	cmd  *exec.Cmd
	dir  string
	done chan struct{}
}

// pgBouncerIni is the configuration: transaction pooling; trust, as the
// throwaway cluster; query_wait_timeout bounds how long a client waits for a
// server connection (PostgreSQL down), and server_login_retry how long after
// a failed connection it tries again (PostgreSQL back). The same two are set
// in deploy/kubernetes/pgbouncer.yaml.
const pgBouncerIni = `[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 20
max_client_conn = 1000
query_wait_timeout = 5
server_login_retry = 1
ignore_startup_parameters = extra_float_digits
`

// startPgBouncer starts PgBouncer in front of the server at pgURL. As root it
// runs as the postgres system user (PgBouncer refuses root).
func startPgBouncer(ctx context.Context, pgURL string) (*pgBouncer, error) {
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		bin = "/usr/sbin/pgbouncer" // Debian's, not on a non-root PATH
		if _, serr := os.Stat(bin); serr != nil {
			return nil, errors.New("pgbouncer is missing (apt-get install -y pgbouncer)")
		}
	}
	pgPort, err := portOf(pgURL)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgbouncer-")
	if err != nil {
		return nil, err
	}
	users := filepath.Join(dir, "users.txt")
	ini := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(users, []byte(`"postgres" ""`+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(ini, fmt.Appendf(nil, pgBouncerIni, pgPort, port, users), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, ini)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgbouncer refuses root, and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			return nil, err
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	log, err := os.Create(filepath.Join(dir, "pgbouncer.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	b := &pgBouncer{url: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); log.Close(); close(b.done) }()

	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, b.url)
		if err == nil {
			conn.Close(ctx)
			return b, nil
		}
		select {
		case <-b.done:
			out, _ := os.ReadFile(log.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgbouncer exited: %s", out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("pgbouncer does not answer: %w", err)
		}
	}
}

// stop ends PgBouncer (our own child, by pid) and removes its files.
func (b *pgBouncer) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
	os.RemoveAll(b.dir)
}
