// Package gctune sets the garbage collector for a container at start:
// a soft memory limit under the container's own (GOMEMLIMIT) and the
// collector's pace (GOGC), each unless the environment sets it.
package gctune

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGOGC is the pace set when GOGC is not: the heap may grow to 3x the
// live heap between collections instead of 2x. Measured on the W2 GraphQL
// page (BENCHMARKS.md): about a quarter off the server's CPU a request for
// about 13 MiB more RSS; the memory limit below still bounds the heap in a
// container.
const DefaultGOGC = 200

// limitShare is the part of the container's memory limit given to the Go
// heap as its soft limit; the rest is for stacks, the runtime and the
// kernel's page cache of the process, as automemlimit and the Go GC guide
// suggest.
const limitShare = 0.9

// unlimited: cgroup v1 writes "no limit" as a huge page-aligned number.
const unlimited = 1 << 62

// Settings is what Apply chose; zero fields were left to the environment
// or to Go's defaults.
type Settings struct {
	GOGC           int   // the GC percent set, 0 when GOGC was set
	MemoryLimit    int64 // the soft limit set in bytes, 0 when none
	ContainerLimit int64 // the container's memory limit found, 0 when none
}

// Apply sets GOGC and GOMEMLIMIT where getenv has neither. The container's
// limit is read from the cgroup files under root ("/sys/fs/cgroup" in
// production): cgroup v2's memory.max, else v1's
// memory/memory.limit_in_bytes.
func Apply(getenv func(string) string, root string) (Settings, error) {
	var s Settings
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGOGC)
		s.GOGC = DefaultGOGC
	}
	limit, err := containerLimit(root)
	if err != nil {
		return s, err
	}
	s.ContainerLimit = limit
	if limit > 0 && getenv("GOMEMLIMIT") == "" {
		s.MemoryLimit = int64(float64(limit) * limitShare)
		debug.SetMemoryLimit(s.MemoryLimit)
	}
	return s, nil
}

// containerLimit is the memory limit of the process's cgroup in bytes, 0
// when there is none (or no cgroup file to say).
func containerLimit(root string) (int64, error) {
	for _, name := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(root, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("container memory limit: %w", err)
		}
		return parseLimit(string(b))
	}
	return 0, nil
}

// parseLimit reads a cgroup limit file: bytes, or "max" (v2) or a number at
// least 2^62 (v1) for no limit.
func parseLimit(text string) (int64, error) {
	text = strings.TrimSpace(text)
	if text == "max" {
		return 0, nil
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("container memory limit %q: %w", text, err)
	}
	if n >= unlimited || n > math.MaxInt64 {
		return 0, nil
	}
	return int64(n), nil
}
