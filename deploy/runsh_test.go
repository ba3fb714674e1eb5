package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"users/internal/apptest"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// copyCheckout copies the working tree (what a clone holds, plus files not
// yet committed, without build output) to a temporary folder, so that run.sh
// can build and run its own bin/server there: the test never touches this
// checkout's bin/, nor a server an operator may be running from it.
func copyCheckout(t *testing.T) string {
	t.Helper()
	src := repoRoot(t)
	dst := t.TempDir()
	skip := map[string]bool{".git": true, ".tools": true, "tmp": true, "test-artifacts": true, "node_modules": true}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && skip[d.Name()] {
			return filepath.SkipDir
		}
		if rel == filepath.Join("bin", "server") || rel == "users" || strings.HasSuffix(rel, ".pid") || strings.HasSuffix(rel, ".test") {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copy checkout: %v", err)
	}
	return dst
}

// runEnv is the environment of run.sh: the test's own, less anything that
// configures the service, plus vars.
func runEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "APP_ENV", "DATABASE_URL", "PORT", "SECRET_KEY", "RUN_DIR", "SHUTDOWN_TIMEOUT", "LOG_FORMAT",
			"PLAYGROUND", "INTROSPECTION", "METRICS_ADDR", "PPROF_ADDR", "REDIS_URL", "TRUSTED_PROXIES":
			continue
		}
		env = append(env, kv)
	}
	return append(env, vars...)
}

// runSh runs `bin/run.sh args...` in root to completion.
func runSh(t *testing.T, root string, env []string, args ...string) (exitCode int, stderr string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "bin", "run.sh"), args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	default:
		t.Fatalf("run.sh %v: %v", args, err)
		return -1, ""
	}
}

// startRunSh runs `run.sh start` in the background, as an operator's
// terminal or supervisor would hold it: stdout is the server's log (JSON
// lines in live), stderr run.sh's own messages.
func startRunSh(t *testing.T, root string, env []string) *apptest.Process {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "bin", "run.sh"), "start")
	cmd.Env = env
	return apptest.StartProcess(t, cmd)
}

func pidAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// TestRunShStartStop plays the legacy operators' routine on a copy of the
// checkout: with `export APP_ENV=live` (and its required settings),
// `./bin/run.sh start` builds bin/server (missing), runs it in the foreground
// with its pid in the pid file, refuses a second start, and
// `./bin/run.sh stop` makes it exit 0 through SIGTERM and removes the pid file.
// A second round checks that an up-to-date binary is not rebuilt, and a third
// that a newer source file triggers a rebuild. It starts with a stale pid file.
func TestRunShStartStop(t *testing.T) {
	t.Parallel()
	root := copyCheckout(t)
	runDir := t.TempDir()
	pidfile := filepath.Join(runDir, "server.pid")
	var key fernet.Key
	if err := key.Generate(); err != nil {
		t.Fatal(err)
	}
	env := runEnv("APP_ENV=live", "DATABASE_URL="+testdb.NewURL(t), "SECRET_KEY="+key.Encode(),
		"PORT=0", "RUN_DIR="+runDir, "SHUTDOWN_TIMEOUT=5s")

	// A pid file left by a server that died: start reports it and goes on.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(gone.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for round, tc := range []struct {
		name      string
		before    func()
		wantBuild bool
	}{
		{"binary missing", func() {}, true},
		{"binary up to date", func() {}, false},
		{"a source newer than the binary", func() {
			later := time.Now().Add(2 * time.Second)
			if err := os.Chtimes(filepath.Join(root, "server.go"), later, later); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		tc.before()
		s := startRunSh(t, root, env)
		base := s.WaitListening(t, 5*time.Minute) // a cold build of the whole module can take minutes on 2 cores
		built := strings.Contains(s.Stderr.String(), "building ")
		if built != tc.wantBuild {
			t.Errorf("%s: built = %v, want %v\nstderr:\n%s", tc.name, built, tc.wantBuild, s.Stderr.String())
		}
		if round == 0 && !strings.Contains(s.Stderr.String(), "stale pid file") {
			t.Errorf("start did not report the stale pid file:\n%s", s.Stderr.String())
		}

		// The pid file names the server itself (start execs it).
		b, err := os.ReadFile(pidfile)
		if err != nil {
			t.Fatalf("%s: pid file: %v", tc.name, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid != s.Cmd.Process.Pid {
			t.Fatalf("%s: pid file holds %q, want %d", tc.name, b, s.Cmd.Process.Pid)
		}
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		if err != nil || exe != filepath.Join(root, "bin", "server") {
			t.Errorf("%s: pid %d runs %q (%v), want the copy's bin/server", tc.name, pid, exe, err)
		}
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("%s: /healthz: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: /healthz = %d", tc.name, resp.StatusCode)
		}

		if round == 0 {
			if code, out := runSh(t, root, env, "start"); code == 0 || !strings.Contains(out, "already running") {
				t.Errorf("second start: exit %d, want non-zero with 'already running':\n%s", code, out)
			}
			if code, out := runSh(t, root, env, "status"); code != 0 || !strings.Contains(out, "running (pid "+strconv.Itoa(pid)+")") {
				t.Errorf("status: exit %d:\n%s", code, out)
			}
			if !pidAlive(pid) {
				t.Fatal("the refused second start stopped the server")
			}
		}

		code, out := runSh(t, root, env, "stop")
		if code != 0 || !strings.Contains(out, "stopped") {
			t.Errorf("%s: stop: exit %d:\n%s", tc.name, code, out)
		}
		select {
		case <-s.Done():
			if err := s.Err(); err != nil {
				t.Errorf("%s: server exit: %v (want status 0)\nstdout:\n%s", tc.name, err, s.Stdout.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("%s: the server did not exit after stop", tc.name)
		}
		if pidAlive(pid) {
			t.Errorf("%s: pid %d still exists after stop", tc.name, pid)
		}
		if _, err := os.Stat(pidfile); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: pid file still there after stop (%v)", tc.name, err)
		}
		if !strings.Contains(s.Stdout.String(), `"msg":"stopped"`) {
			t.Errorf("%s: no graceful 'stopped' log line:\n%s", tc.name, s.Stdout.String())
		}
	}

	if code, out := runSh(t, root, env, "status"); code != 3 || !strings.Contains(out, "not running") {
		t.Errorf("status after stop: exit %d, want 3:\n%s", code, out)
	}
}

// TestRunShStopWithoutPidFile: nothing to stop is an error an operator sees.
func TestRunShStopWithoutPidFile(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	runDir := t.TempDir()
	code, out := runSh(t, root, runEnv("RUN_DIR="+runDir), "stop")
	if code == 0 || !strings.Contains(out, "no pid file at "+filepath.Join(runDir, "server.pid")) {
		t.Errorf("stop without a pid file: exit %d, want non-zero and a clear message:\n%s", code, out)
	}
}

// TestRunShStopStalePidFile: a pid file that names no server is reported and
// removed, and the process it names, if any, is left alone.
func TestRunShStopStalePidFile(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	other := exec.Command("sleep", "60") // alive, but not our server
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	otherExited := make(chan struct{})
	go func() { _ = other.Wait(); close(otherExited) }()
	t.Cleanup(func() { _ = other.Process.Kill(); <-otherExited })

	for _, tc := range []struct {
		name, content, want string
	}{
		{"dead pid", strconv.Itoa(gone.Process.Pid), "is not running"},
		{"pid of another program", strconv.Itoa(other.Process.Pid), "is not " + filepath.Join(root, "bin", "server")},
		{"garbage", "not-a-pid", "no pid in it"},
	} {
		runDir := t.TempDir()
		pidfile := filepath.Join(runDir, "server.pid")
		if err := os.WriteFile(pidfile, []byte(tc.content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out := runSh(t, root, runEnv("RUN_DIR="+runDir), "stop")
		if code != 0 || !strings.Contains(out, "stale pid file") || !strings.Contains(out, tc.want) {
			t.Errorf("%s: stop: exit %d, want 0 and a stale-pid-file message with %q:\n%s", tc.name, code, tc.want, out)
		}
		if _, err := os.Stat(pidfile); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: stale pid file not removed (%v)", tc.name, err)
		}
	}
	select {
	case <-otherExited:
		t.Error("stop signalled a process that is not the server")
	case <-time.After(200 * time.Millisecond):
	}
}
