package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Where the cores and the memory went, read from /proc: the server's RSS, and
// the CPU time of the server, its PostgreSQL backends, the load generator and
// the whole machine during a measured window.

// memory reads VmRSS and VmHWM (peak RSS) of pid, in bytes.
func memory(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			hwm = kb << 10
		}
	}
	return rss, hwm, nil
}

// clkTck is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clkTck = 100

// cpuTime is the user+system CPU time pid has used so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clkTck
}

// machineBusy is the CPU time every core of the machine has spent busy
// (/proc/stat: user, nice, system, irq, softirq, steal).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clkTck
}

// cpuSnap is the CPU time used so far by the parties of one run: the server
// measured, the PostgreSQL backends connected to the bench database, this
// process (the load generator), and the whole machine.
type cpuSnap struct{ server, postgres, loadgen, machine time.Duration }

// other is what the rest of the machine used: other people's work, which
// makes a run noisy.
func (a cpuSnap) other() time.Duration {
	return max(0, a.machine-a.server-a.postgres-a.loadgen)
}

func snapCPU(serverPID int, pgPIDs []int) cpuSnap {
	s := cpuSnap{server: cpuTime(serverPID), loadgen: cpuTime(os.Getpid()), machine: machineBusy()}
	for _, pid := range pgPIDs {
		s.postgres += cpuTime(pid)
	}
	return s
}

func (a cpuSnap) sub(b cpuSnap) cpuSnap {
	return cpuSnap{server: a.server - b.server, postgres: a.postgres - b.postgres, loadgen: a.loadgen - b.loadgen, machine: a.machine - b.machine}
}

// snap and snapLimit account the CPU of one run. The PostgreSQL backends are
// those connected to the bench database when the window opens (the servers'
// pools are warm by then).
func (b *bench) snap() cpuSnap { return snapCPU(b.ours.pid(), b.backends()) }

func (b *bench) snapLimit() cpuSnap { return snapCPU(b.limit.pid(), b.backends()) }

func (b *bench) backends() []int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := b.pool.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		return nil
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil
	}
	out := make([]int, len(pids))
	for i, p := range pids {
		out[i] = int(p)
	}
	return out
}
