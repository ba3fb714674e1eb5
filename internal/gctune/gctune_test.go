package gctune

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestParseLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"268435456\n", 256 << 20, false},
		{"max\n", 0, false},
		{"9223372036854771712\n", 0, false}, // v1's "no limit"
		{"18446744073709551615", 0, false},
		{"", 0, true},
		{"-1", 0, true},
		{"256M", 0, true},
	}
	for _, tt := range tests {
		got, err := parseLimit(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("parseLimit(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// cgroup writes a cgroup tree with the file name holding text.
func cgroup(t *testing.T, name, text string) string {
	t.Helper()
	root := t.TempDir()
	path := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestApply changes the process's GC settings, so it restores them and
// runs alone (no t.Parallel).
func TestApply(t *testing.T) {
	gogc := debug.SetGCPercent(100)
	memlimit := debug.SetMemoryLimit(-1) // -1 reads without setting
	t.Cleanup(func() { debug.SetGCPercent(gogc); debug.SetMemoryLimit(memlimit) })

	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name      string
		env       map[string]string
		root      string
		want      Settings
		wantLimit int64 // debug.SetMemoryLimit after Apply
		wantGOGC  int
	}{
		{"cgroup v2 limit", nil, cgroup(t, "memory.max", "268435456\n"),
			Settings{GOGC: DefaultGOGC, MemoryLimit: 241591910, ContainerLimit: 256 << 20}, 241591910, DefaultGOGC},
		{"cgroup v1 limit", nil, cgroup(t, "memory/memory.limit_in_bytes", "536870912\n"),
			Settings{GOGC: DefaultGOGC, MemoryLimit: 483183820, ContainerLimit: 512 << 20}, 483183820, DefaultGOGC},
		{"no limit", nil, cgroup(t, "memory.max", "max\n"),
			Settings{GOGC: DefaultGOGC}, -1, DefaultGOGC},
		{"no cgroup files", nil, t.TempDir(), Settings{GOGC: DefaultGOGC}, -1, DefaultGOGC},
		{"the environment wins", map[string]string{"GOGC": "150", "GOMEMLIMIT": "100MiB"}, cgroup(t, "memory.max", "268435456"),
			Settings{ContainerLimit: 256 << 20}, -1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64) // no limit
			got, err := Apply(env(tt.env), tt.root)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Apply = %+v, want %+v", got, tt.want)
			}
			limit := debug.SetMemoryLimit(-1)
			if tt.wantLimit == -1 && limit != math.MaxInt64 || tt.wantLimit != -1 && limit != tt.wantLimit {
				t.Errorf("memory limit = %d, want %d", limit, tt.wantLimit)
			}
			if g := debug.SetGCPercent(-1); g != tt.wantGOGC {
				t.Errorf("GOGC = %d, want %d", g, tt.wantGOGC)
			}
		})
	}
}
