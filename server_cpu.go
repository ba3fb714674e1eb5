package main

import (
	"log/slog"
	"os"
	"runtime"

	"users/internal/config"
	"users/internal/gctune"
)

// cores is what Go found the process may use at start (the CPUs, or the
// container's CPU quota), read before anything changes GOMAXPROCS.
var cores = runtime.GOMAXPROCS(0)

// scheduleBcrypt sizes bcrypt against the Go scheduler. bcrypt runs
// BCRYPT_CONCURRENCY computations at once (default: one per core), each on a
// thread at the lowest priority (internal/auth), and GOMAXPROCS gets that
// many Ps more than the cores: while every bcrypt holds a P, ordinary
// requests still find as many Ps as there are cores, and the kernel shares
// the cores in its fine slices, favouring them. Without the extra Ps a login
// storm took every P and other requests waited for Go's 10 ms preemption
// (BENCHMARKS.md, W5). Raising GOMAXPROCS only while bcrypt runs was tried
// and dropped: each change stops the world, and its W2 p99 beside a storm
// was less steady (BENCHMARKS.md). A GOMAXPROCS set in the environment is
// left alone.
func scheduleBcrypt(log *slog.Logger, cfg *config.Config) {
	if cfg.BcryptConcurrency == 0 {
		cfg.BcryptConcurrency = cores
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(cores + cfg.BcryptConcurrency)
	}
	log.Info("cpu", "cores", cores, "bcrypt_concurrency", cfg.BcryptConcurrency, "gomaxprocs", runtime.GOMAXPROCS(0))
}

// tuneGC sets GOGC and a memory limit under the container's (internal/gctune)
// where the environment sets neither. A cgroup file that cannot be read
// leaves Go's defaults, logged: the server runs as before.
func tuneGC(log *slog.Logger) {
	s, err := gctune.Apply(os.Getenv, "/sys/fs/cgroup")
	if err != nil {
		log.Warn("gc: container memory limit not read", "error", err)
	}
	log.Info("gc", "gogc", s.GOGC, "memory_limit", s.MemoryLimit, "container_limit", s.ContainerLimit)
}
