package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"users/internal/config"
)

// repoRoot is the repository's root: this package's parent folder.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goModule returns the module path and the major.minor Go version of go.mod.
func goModule(t *testing.T) (module, goVersion string) {
	t.Helper()
	for line := range strings.SplitSeq(string(readFile(t, "go.mod")), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "module":
			module = f[1]
		case len(f) == 2 && f[0] == "go":
			parts := strings.Split(f[1], ".")
			goVersion = strings.Join(parts[:min(2, len(parts))], ".")
		}
	}
	if module == "" || goVersion == "" {
		t.Fatal("go.mod: no module or go line")
	}
	return module, goVersion
}

// configVars returns the environment variables internal/config reads, by
// running config.Load with a getenv that records every name it is asked for.
func configVars(t *testing.T) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	_, _ = config.Load(func(name string) string { seen[name] = true; return "" })
	if !seen["APP_ENV"] || !seen["DATABASE_URL"] || !seen["SECRET_KEY"] {
		t.Fatalf("config.Load read only %v", seen)
	}
	return seen
}

// runtimeVars are read by the Go runtime, not by internal/config.
var runtimeVars = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true}
