package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"users/internal/apptest"
	"users/internal/testdb"
)

// TestBinarySIGTERM builds the real binary, starts it and stops it with SIGTERM:
// exit code 0 and the stopped line.
func TestBinarySIGTERM(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "server")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT=0", "DATABASE_URL="+testdb.NewURL(t), "APP_ENV=local", "LOG_FORMAT=text")
	p := apptest.StartProcess(t, cmd)
	base := p.WaitListening(t, 60*time.Second)
	if status := (apptest.Client{URL: base}).Status(t, "/healthz"); status != http.StatusOK {
		t.Fatalf("/healthz = %d, want 200", status)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
		if err := p.Err(); err != nil {
			t.Errorf("server exited with %v after SIGTERM, want code 0\nstderr:\n%s", err, p.Stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("server still running 10 s after SIGTERM\nstdout:\n%s", p.Stdout.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	if !strings.Contains(p.Stdout.String(), "msg=stopped") {
		t.Errorf("no stopped line:\n%s", p.Stdout.String())
	}
}
