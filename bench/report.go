package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The report: one table of every workload against its target, notes, the CPU
// each party used per request, and the top of each CPU profile.

// row is one line of the table.
type row struct {
	workload, server string
	runs             []result
	rpsUnit          string // "req/s" or "logins/s"; the start and mem rows have no rate
	ratio, target    string
	pass             *bool
	note             string
}

// cpuRow is one line of the CPU table.
type cpuRow struct {
	workload, server string
	perReq           cpuSnap
	busy             float64 // cores busy on average during the windows
}

// print writes the report.
func (b *bench) print(w io.Writer) {
	b.printHeader(w)
	b.printTable(w)
	b.printNotes(w)
	b.printCPU(w)
	b.printProfiles(w)
}

// printHeader says what ran where, and how busy the machine was.
func (b *bench) printHeader(w io.Writer) {
	fmt.Fprintf(w, "\nusers service benchmark: %s\n", time.Now().Format(time.RFC3339))
	fmt.Fprintf(w, "machine: %d cores (%s), %s, PostgreSQL %s, GOMAXPROCS %d\n", runtime.NumCPU(), cpuModel(), runtime.Version(), b.pgVersion, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "flags: -duration %v -warmup %v -runs %d -conns %d -login-conns %d -w5-conns %d -w5-rate %g -bcrypt-cost %d -limit-conns %d -big %d\n",
		b.o.duration, b.o.warmup, b.o.runs, b.o.conns, b.o.loginConns, b.o.w5Conns, b.o.w5Rate, b.o.cost, b.o.limitConns, b.o.big)
	fmt.Fprintf(w, "load average at start: %s, at end: %s (anything else running makes the numbers noisy)\n", b.loadStart, loadavg())
	fmt.Fprintln(w, "load generator, server, limit server and PostgreSQL share these cores; req/s is the median of the runs (min-max), p50/p99 the medians of the runs' percentiles")
	fmt.Fprintln(w)
}

func (b *bench) printTable(w io.Writer) {
	fmt.Fprintf(w, "| %-44s | %-5s | %-26s | %-8s | %-8s | %-6s | %-12s | %-18s | %-6s |\n", "workload", "srv", "rate: median (min-max)", "p50", "p99", "errors", "ratio", "target", "result")
	fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(46), dashes(7), dashes(28), dashes(10), dashes(10), dashes(8), dashes(14), dashes(20), dashes(8))
	for _, r := range b.rows {
		rate, p50, p99, errs := "", "", "", ""
		switch r.rpsUnit {
		case "req/s", "logins/s":
			rps := make([]float64, len(r.runs))
			n := 0
			for i, x := range r.runs {
				rps[i] = x.rps()
				n += x.errors
			}
			unit := ""
			if r.rpsUnit == "logins/s" {
				unit = " logins/s"
			}
			rate = fmt.Sprintf("%s (%s-%s)%s", fmtRate(median(rps)), fmtRate(slices.Min(rps)), fmtRate(slices.Max(rps)), unit)
			p50, p99, errs = fmtDur(medianPct(r.runs, 0.5)), fmtDur(medianPct(r.runs, 0.99)), strconv.Itoa(n)
		}
		result := ""
		if r.pass != nil {
			result = "FAIL"
			if *r.pass {
				result = "pass"
			}
		}
		fmt.Fprintf(w, "| %-44s | %-5s | %-26s | %8s | %8s | %6s | %-12s | %-18s | %-6s |\n", r.workload, r.server, rate, p50, p99, errs, r.ratio, r.target, result)
	}
}

func (b *bench) printNotes(w io.Writer) {
	var notes []string
	for _, r := range b.rows {
		if r.note != "" {
			notes = append(notes, fmt.Sprintf("  %s: %s", strings.TrimSpace(r.workload), r.note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
}

func (b *bench) printCPU(w io.Writer) {
	if len(b.cpuRows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nCPU time per request (µs, median of the runs): where the cores went. postgres: the backends of the bench database;")
	fmt.Fprintln(w, "other: the rest of the machine (anything else running: it makes runs noisy); busy: cores busy machine-wide during the window")
	fmt.Fprintf(w, "| %-10s | %-5s | %8s | %10s | %14s | %8s | %8s | %6s |\n", "workload", "srv", "server", "postgres", "load generator", "other", "total", "busy")
	fmt.Fprintf(w, "|%s|%s|%s|%s|%s|%s|%s|%s|\n", dashes(12), dashes(7), dashes(10), dashes(12), dashes(16), dashes(10), dashes(10), dashes(8))
	us := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64)
	}
	for _, c := range b.cpuRows {
		fmt.Fprintf(w, "| %-10s | %-5s | %8s | %10s | %14s | %8s | %8s | %6.2f |\n", c.workload, c.server, us(c.perReq.server), us(c.perReq.postgres),
			us(c.perReq.loadgen), us(c.perReq.other()), us(c.perReq.machine), c.busy)
	}
}

// printProfiles prints the top functions of each -profile run, flat and
// cumulative, and keeps them as text next to the profile.
func (b *bench) printProfiles(w io.Writer) {
	for _, name := range b.profiles {
		file := filepath.Join(b.o.out, name+".cpu.pprof")
		fmt.Fprintf(w, "\nCPU profile of the server during %s: %s\n", name, file)
		for _, mode := range [][]string{{"-top"}, {"-top", "-cum"}} {
			args := append([]string{"tool", "pprof"}, mode...)
			args = append(args, "-nodecount=25", b.bin, file)
			out, err := exec.Command("go", args...).Output()
			if err != nil {
				fmt.Fprintf(w, "go tool pprof: %v\n", err)
				continue
			}
			_ = os.WriteFile(filepath.Join(b.o.out, name+strings.Join(mode, "")+".txt"), out, 0o644)
			fmt.Fprintf(w, "go tool pprof %s:\n%s", strings.Join(mode, " "), indent(string(out)))
		}
	}
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func dashes(n int) string { return strings.Repeat("-", n) }

func indent(s string) string {
	var out strings.Builder
	for line := range strings.Lines(s) {
		out.WriteString("    " + line)
	}
	return out.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func median[T int64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func medianRPS(rs []result) float64 {
	xs := make([]float64, len(rs))
	for i, r := range rs {
		xs[i] = r.rps()
	}
	return median(xs)
}

func medianPct(rs []result, p float64) time.Duration {
	xs := make([]time.Duration, len(rs))
	for i, r := range rs {
		xs[i] = r.pct(p)
	}
	return median(xs)
}

func cpuOf(workload, server string, rs []result) cpuRow {
	var s, p, l, m []time.Duration
	var busy []float64
	for _, r := range rs {
		n := time.Duration(max(1, r.requests))
		s, p, l, m = append(s, r.cpu.server/n), append(p, r.cpu.postgres/n), append(l, r.cpu.loadgen/n), append(m, r.cpu.machine/n)
		busy = append(busy, r.cpu.machine.Seconds()/r.window.Seconds())
	}
	return cpuRow{workload, server, cpuSnap{server: median(s), postgres: median(p), loadgen: median(l), machine: median(m)}, median(busy)}
}

func fmtRate(x float64) string {
	if x < 100 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', 0, 64)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
