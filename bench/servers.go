package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The two servers under load: the service (built from this checkout, or
// -server-bin) and the reference limit server (limit.go), each its own process.

// moduleRoot finds the directory of the users module from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module users")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench from inside the users module (go run ./bench)")
		}
		dir = parent
	}
}

// serverBinary returns -server-bin, or builds the service from the module at
// root into the -out directory.
func serverBinary(ctx context.Context, root string, o options) (string, error) {
	if o.serverBin != "" {
		bin, err := filepath.Abs(o.serverBin)
		if err != nil {
			return "", err
		}
		log("using the server binary %s", bin)
		return bin, nil
	}
	bin := filepath.Join(o.out, "server")
	log("building the server into %s", bin)
	return bin, buildServer(ctx, root, bin)
}

// buildServer compiles the service as the README says (go build -o ... .).
func buildServer(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// prepareServer picks the service's ports, sets its environment and migrates
// the bench database once, so every start after it is a start on a migrated
// database. Rate limits are off: the load comes from one address.
func (b *bench) prepareServer(ctx context.Context) (err error) {
	if b.addr, err = freeAddr(); err != nil {
		return err
	}
	if b.pprof, err = freeAddr(); err != nil {
		return err
	}
	b.env = append(baseEnv(),
		"APP_ENV=local",
		"DATABASE_URL="+b.dbURL,
		"PORT="+b.addr[strings.LastIndexByte(b.addr, ':')+1:],
		"BCRYPT_COST="+strconv.Itoa(b.o.cost),
		"RATE_LIMIT_LOGIN=0",
		"RATE_LIMIT_SIGNUP=0",
		"PPROF_ADDR="+b.pprof,
		"LOG_FORMAT=json",
	)
	b.env = append(b.env, b.o.serverEnv...)

	mig := exec.CommandContext(ctx, b.bin, "migrate")
	mig.Env = b.env
	if out, err := mig.CombinedOutput(); err != nil {
		return fmt.Errorf("server migrate: %v\n%s", err, out)
	}
	return nil
}

// openLogs opens the servers' logs in the -out directory. The access log
// (stdout) is discarded unless -server-log: the server still formats and
// writes every line. Errors (stderr) are kept.
func (b *bench) openLogs() (closeLogs func(), err error) {
	var files []*os.File
	closeLogs = func() {
		for _, f := range files {
			f.Close()
		}
	}
	if b.o.serverLog {
		f, err := os.Create(filepath.Join(b.o.out, "server.log"))
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		b.accessLog = f
	}
	f, err := os.Create(filepath.Join(b.o.out, "server.stderr"))
	if err != nil {
		closeLogs()
		return nil, err
	}
	files = append(files, f)
	b.errLog = f
	return closeLogs, nil
}

// startServers starts the service and the limit server, each ready, and
// returns the function that stops both.
func (b *bench) startServers(ctx context.Context) (stopServers func(), err error) {
	b.ours, _, err = start(ctx, "server", []string{b.bin}, b.env, b.addr, "/readyz", b.accessLog, b.errLog)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			b.ours.stop()
		}
	}()
	limitAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b.limit, _, err = start(ctx, "limit server",
		[]string{self, "limit-server", "-addr", limitAddr, "-db", b.dbURL, "-conns", strconv.Itoa(b.o.limitConns)},
		baseEnv(), limitAddr, "/readyz", b.errLog, b.errLog)
	if err != nil {
		return nil, err
	}
	return func() { b.limit.stop(); b.ours.stop() }, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// proc is a started child process: the service or the limit server.
type proc struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan error
}

// baseEnv is what children inherit: enough to run, none of the caller's
// service settings (a stray REDIS_URL or DATABASE_URL must not leak in).
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "GOMAXPROCS", "GODEBUG", "GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// start runs argv with env and waits until GET
// base+readyPath answers 200. It returns the process and the time from exec
// to that first 200.
func start(ctx context.Context, name string, argv, env []string, addr, readyPath string, stdout, stderr io.Writer) (*proc, time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	p := &proc{name: name, cmd: cmd, base: "http://" + addr, done: make(chan error, 1)}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	go func() { p.done <- cmd.Wait() }()
	deadline := t0.Add(30 * time.Second)
	for {
		resp, err := client.Get(p.base + readyPath)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, time.Since(t0), nil
			}
		}
		select {
		case err := <-p.done:
			return nil, 0, fmt.Errorf("%s exited before it was ready: %v (see its stderr in the -out directory)", name, err)
		case <-ctx.Done():
			p.stop()
			return nil, 0, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, 0, fmt.Errorf("%s not ready after 30s", name)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// stop sends SIGTERM and waits (SIGKILL after 10 s).
func (p *proc) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }
