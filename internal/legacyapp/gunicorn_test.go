package legacyapp_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"users/internal/apptest"

	"github.com/jackc/pgx/v5"
)

// legacySource returns the legacy checkout LEGACY_SRC names, or skips the
// test saying why and how to run it.
func legacySource(t *testing.T) string {
	t.Helper()
	src := os.Getenv("LEGACY_SRC")
	if src == "" {
		if os.Getenv("CI") == "true" {
			t.Skip("skipped in CI: LEGACY_SRC is not set, CI has no checkout of the legacy service; run scripts/legacy-app.sh on a developer machine")
		}
		t.Skip("skipped: LEGACY_SRC is not set. This test runs the real legacy service: " +
			"scripts/legacy-app.sh installs its Python packages, makes a checkout of ziwon/falcon-rest-api and runs it " +
			"(or: LEGACY_SRC=/path/to/checkout go test ./internal/legacyapp/)")
	}
	if _, err := os.Stat(filepath.Join(src, "app", "main.py")); err != nil {
		t.Fatalf("LEGACY_SRC=%s is not a checkout of the legacy service (no app/main.py): %v", src, err)
	}
	return src
}

// startLegacy runs the legacy app under gunicorn on the database at dbURL
// and returns its base URL; it stops at the end of the test. The app runs
// from a copy of src/app beside a config file of its own (conf/compare.ini,
// APP_ENV=compare), so the checkout is never written to. The app reads its
// database from that file as postgresql+psycopg2://HOST/DATABASE; libpq
// takes the user, password, port and SSL mode from PG* variables.
func startLegacy(t *testing.T, src, dbURL string) string {
	t.Helper()
	gunicorn, err := exec.LookPath("gunicorn")
	if err != nil {
		t.Fatal("gunicorn is not installed: scripts/legacy-app.sh installs it with the legacy app's Python packages")
	}
	db, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	host := db.Host
	if strings.HasPrefix(host, "/") { // a socket directory: libpq finds it in PGHOST
		host = ""
	}
	sslmode := "disable"
	if db.TLSConfig != nil {
		sslmode = "require"
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "app"), os.DirFS(filepath.Join(src, "app"))); err != nil {
		t.Fatalf("copy the legacy app: %v", err)
	}
	ini := fmt.Sprintf("[postgres]\nhost=%s\ndatabase=%s\n\n[logging]\nlevel=WARNING\n\n[database]\necho=no\n", host, db.Database)
	if err := os.MkdirAll(filepath.Join(dir, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "conf", "compare.ini"), []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"APP_ENV=compare",
		"PYTHONDONTWRITEBYTECODE=1",
		"PGHOST=" + db.Host,
		"PGPORT=" + strconv.Itoa(int(db.Port)),
		"PGUSER=" + db.User,
		"PGPASSWORD=" + db.Password,
		"PGSSLMODE=" + sslmode,
	}

	// gunicorn serves on a socket we opened: no race for a free port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnFile, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	defer lnFile.Close()

	out := &apptest.Buffer{} // gunicorn's stdout and stderr
	cmd := exec.Command(gunicorn, "--chdir", dir, "--bind", "fd://3", "--workers", "1", "--timeout", "60", "app.main:application")
	cmd.Env = env
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{lnFile}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gunicorn: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("legacy app output:\n%s", out.String())
		}
	})

	// Bounded wait for the first answer: the worker creates the table at boot.
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("the legacy app exited: %v\n%s", err, out.String())
		default:
		}
		if ready(t.Context(), base) {
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("the legacy app did not answer GET / within a minute:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ready(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
