package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"users/graph/model"
)

// runWorkloads runs the selected workloads in an order that seeds the table
// only upwards: W1, W2 and W5 on 20 users, W3, W6 and W7 on 1,000, W4 on
// -big. W2 also runs for the mem row alone, which samples the server under
// it.
func (b *bench) runWorkloads(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"W1", b.w1}, {"W2", b.w2}, {"W5", b.w5}, {"W3", b.w3}, {"W6", b.w6}, {"W7", b.w7},
		{"W4", b.w4},
	}
	for _, s := range steps {
		if !b.o.workloads[s.name] && !(s.name == "W2" && b.o.workloads["mem"]) {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// measureStart starts the server three times on the migrated database and
// records exec to the first /readyz 200.
func (b *bench) measureStart(ctx context.Context) error {
	var runs []result
	for range 3 {
		p, d, err := start(ctx, "server", []string{b.bin}, b.env, b.addr, "/readyz", nil, b.errLog)
		if err != nil {
			return err
		}
		p.stop()
		runs = append(runs, result{requests: 1, window: d, lat: []time.Duration{d}})
	}
	ds := make([]time.Duration, len(runs))
	for i, r := range runs {
		ds[i] = r.window
	}
	med := median(ds)
	pass := med <= 300*time.Millisecond
	b.rows = append(b.rows, row{
		workload: "start: exec to /readyz 200 (migrated db)", server: "ours", runs: runs, rpsUnit: "start",
		ratio: fmtDur(med), target: "<= 300ms", pass: &pass,
		note: fmt.Sprintf("median of 3 starts (min %s, max %s)", fmtDur(slices.Min(ds)), fmtDur(slices.Max(ds))),
	})
	log("start to ready: %v", ds)
	return nil
}

// pair runs ours and the limit interleaved and adds their two rows. With
// sampleMem, the server's RSS is sampled during its runs (the mem row).
func (b *bench) pair(ctx context.Context, name, workload string, ours, limit request, conns int, target float64, sampleMem bool) {
	var ro, rl []result
	for i := range b.o.runs {
		log("%s run %d/%d: ours", name, i+1, b.o.runs)
		stopSampler := func() {}
		if sampleMem {
			stopSampler = b.sampleMemory()
		}
		ro = append(ro, drive(ctx, ours, conns, b.o.warmup, b.o.duration, b.snap))
		stopSampler()
		log("%s run %d/%d: limit", name, i+1, b.o.runs)
		rl = append(rl, drive(ctx, limit, conns, b.o.warmup, b.o.duration, b.snapLimit))
	}
	ratio := medianRPS(ro) / medianRPS(rl)
	pass := ratio >= target
	b.rows = append(b.rows,
		row{workload: workload, server: "ours", runs: ro, rpsUnit: "req/s",
			ratio: fmt.Sprintf("%.2fx", ratio), target: fmt.Sprintf(">= %.1fx limit", target), pass: &pass},
		row{workload: "", server: "limit", runs: rl, rpsUnit: "req/s"},
	)
	b.cpuRows = append(b.cpuRows, cpuOf(name, "ours", ro), cpuOf(name, "limit", rl))
	if b.o.profile[name] {
		b.profileRun(ctx, name, ours, conns, nil)
	}
}

// w1 is the REST list of the 20 seeded users, ours against the limit.
func (b *bench) w1(ctx context.Context) error {
	ours, limit := restList(b.ours.base, b.token, 0), restList(b.limit.base, "", 0)
	if err := checkPair(ctx, "W1", ours, limit, 20); err != nil {
		return err
	}
	b.pair(ctx, "W1", "W1 REST GET /v1/users, 20 users", ours, limit, b.o.conns, 0.8, false)
	return nil
}

// w2 is GraphQL users(first: 20) against the limit's list of 20; it also
// gives the mem row, the server's peak RSS under this load.
func (b *bench) w2(ctx context.Context) error {
	ours, limit := b.graphqlUsers(20, nil), restList(b.limit.base, "", 20)
	if err := checkPair(ctx, "W2", ours, limit, 20); err != nil {
		return err
	}
	b.pair(ctx, "W2", "W2 GraphQL users(first: 20)", ours, limit, b.o.conns, 0.6, b.o.workloads["mem"])
	if !b.o.workloads["W2"] { // only wanted for the memory row
		b.rows = b.rows[:len(b.rows)-2]
		b.cpuRows = b.cpuRows[:len(b.cpuRows)-2]
	}
	if b.o.workloads["mem"] {
		_, hwm, err := memory(b.ours.pid())
		if err != nil {
			return err
		}
		peak := max(hwm, b.maxRSS)
		pass := peak <= 100<<20
		b.rows = append(b.rows, row{
			workload: "mem: server RSS under W2", server: "ours", rpsUnit: "mem",
			ratio: fmt.Sprintf("%.1f MiB", float64(peak)/(1<<20)), target: "<= 100 MiB", pass: &pass,
			note: fmt.Sprintf("VmHWM (peak since start) %.1f MiB; max VmRSS sampled during W2 %.1f MiB", float64(hwm)/(1<<20), float64(b.maxRSS)/(1<<20)),
		})
	}
	return nil
}

// sampleMemory records the server's VmRSS every 50 ms until the returned
// function is called.
func (b *bench) sampleMemory() func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if rss, _, err := memory(b.ours.pid()); err == nil {
				b.maxRSS = max(b.maxRSS, rss)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// w3 is the REST list of 1,000 users, ours against the limit.
func (b *bench) w3(ctx context.Context) error {
	if err := b.seedThousand(ctx); err != nil {
		return err
	}
	ours, limit := restList(b.ours.base, b.token, 0), restList(b.limit.base, "", 0)
	if err := checkPair(ctx, "W3", ours, limit, 1000); err != nil {
		return err
	}
	b.pair(ctx, "W3", "W3 REST GET /v1/users, 1,000 users", ours, limit, b.o.conns, 0.8, false)
	return nil
}

// w4 compares the p99 of GraphQL pages deep in a table of -big users with the
// first page's: keyset pagination must not slow down with depth.
func (b *bench) w4(ctx context.Context) error {
	log("seeding up to %d users", b.o.big)
	d, err := b.seed.seedTo(ctx, b.o.big)
	if err != nil {
		return err
	}
	log("seeded up to %d users in %v", b.o.big, d.Round(time.Millisecond))
	deepFrom := b.o.big * 9 / 10
	span := b.o.big - deepFrom - 20
	first := b.graphqlUsers(20, nil)
	deep := b.graphqlUsers(20, func(w, i int) string {
		// A different page each time, all beyond user 900,000 (of 1,000,000).
		return model.UserCursor(int32(deepFrom + (w*7919+i*104729)%span))
	})
	if err := check(ctx, "W4 first", first, 20); err != nil {
		return err
	}
	if err := check(ctx, "W4 deep", deep, 20); err != nil {
		return err
	}
	var rf, rd []result
	for i := range b.o.runs {
		log("W4 run %d/%d: first page", i+1, b.o.runs)
		rf = append(rf, drive(ctx, first, b.o.conns, b.o.warmup, b.o.duration, b.snap))
		log("W4 run %d/%d: pages after %d", i+1, b.o.runs, deepFrom)
		rd = append(rd, drive(ctx, deep, b.o.conns, b.o.warmup, b.o.duration, b.snap))
	}
	p99f, p99d := medianPct(rf, 0.99), medianPct(rd, 0.99)
	ratio := float64(p99d) / float64(p99f)
	pass := ratio <= 1.5
	b.rows = append(b.rows,
		row{workload: fmt.Sprintf("W4 GraphQL first page of %s users", thousands(b.o.big)), server: "ours", runs: rf, rpsUnit: "req/s"},
		row{workload: fmt.Sprintf("W4 GraphQL pages after user %s", thousands(deepFrom)), server: "ours", runs: rd, rpsUnit: "req/s",
			ratio: fmt.Sprintf("%.2fx p99", ratio), target: "<= 1.5x first p99", pass: &pass},
	)
	b.cpuRows = append(b.cpuRows, cpuOf("W4 first", "ours", rf), cpuOf("W4 deep", "ours", rd))
	if b.o.profile["W4"] {
		b.profileRun(ctx, "W4", deep, b.o.conns, nil)
	}
	return nil
}

// bcryptTime measures one bcrypt comparison at the configured cost, here, now.
func (b *bench) bcryptTime() (time.Duration, error) {
	hash := b.hash // the seeded users' hash, at the server's cost
	var ds []time.Duration
	for range 3 {
		t := time.Now()
		if err := bcrypt.CompareHashAndPassword(hash, []byte(benchPassword)); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t))
	}
	return median(ds), nil
}

// w5 is the login storm. Each run has three phases: W2 alone, the storm
// alone, and both together. The storm alone gives logins/s against the bcrypt
// bound (can bounded bcrypt concurrency use the cores?); the pair gives W2's
// p99 beside the storm against W2 alone (does bcrypt starve other requests?),
// and logins/s beside W2 for information. By default the W2 beside the storm
// is paced (-w5-rate requests/s over -w5-conns connections), an interactive
// load that leaves the cores to bcrypt; a closed-loop W2 would take half the
// cores from the storm by design, and the two targets could not both hold.
func (b *bench) w5(ctx context.Context) error {
	cores := runtime.NumCPU()
	w2 := b.graphqlUsers(20, nil)
	storm := b.loginRequest(func(w, i int) int { return 1 + (w*31+i)%20 })
	w2load := fmt.Sprintf("%d conns", b.o.w5Conns)
	if b.o.w5Rate > 0 {
		w2load = fmt.Sprintf("%.0f req/s over %d conns", b.o.w5Rate, b.o.w5Conns)
	}
	var alone, beside, logins, loginsBeside []result
	var hashTimes []time.Duration
	for i := range b.o.runs {
		log("W5 run %d/%d: W2 alone (%s)", i+1, b.o.runs, w2load)
		alone = append(alone, driveAt(ctx, w2, b.o.w5Conns, b.o.w5Rate, b.o.warmup, b.o.duration, nil))
		one, err := b.bcryptTime()
		if err != nil {
			return err
		}
		hashTimes = append(hashTimes, one)
		log("W5 run %d/%d: one bcrypt at cost %d takes %v here: bound %.2f logins/s on %d cores", i+1, b.o.runs, b.o.cost, one.Round(time.Millisecond), float64(cores)/one.Seconds(), cores)
		// Twice as long: a few logins a second need a longer window to count.
		log("W5 run %d/%d: login storm alone (%d conns)", i+1, b.o.runs, b.o.loginConns)
		logins = append(logins, drive(ctx, storm, b.o.loginConns, b.o.warmup, 2*b.o.duration, nil))
		log("W5 run %d/%d: W2 (%s) beside the login storm", i+1, b.o.runs, w2load)
		var wg sync.WaitGroup
		var rs result
		wg.Go(func() { rs = drive(ctx, storm, b.o.loginConns, b.o.warmup, b.o.duration, nil) })
		beside = append(beside, driveAt(ctx, w2, b.o.w5Conns, b.o.w5Rate, b.o.warmup, b.o.duration, nil))
		wg.Wait()
		loginsBeside = append(loginsBeside, rs)
	}
	one := median(hashTimes)
	bound := float64(cores) / one.Seconds()
	lr := medianRPS(logins) / bound
	lpass := lr >= 0.9
	pr := float64(medianPct(beside, 0.99)) / float64(medianPct(alone, 0.99))
	ppass := pr <= 3
	b.rows = append(b.rows,
		row{workload: fmt.Sprintf("W5 login storm, cost %d, %d conns", b.o.cost, b.o.loginConns), server: "ours", runs: logins, rpsUnit: "logins/s",
			ratio: fmt.Sprintf("%.2fx bound", lr), target: fmt.Sprintf(">= 0.9x %.2f/s", bound), pass: &lpass,
			note: fmt.Sprintf("bound = %d cores / %v per bcrypt.CompareHashAndPassword at cost %d (median of 3 x %d, measured by the bench between the phases of this run); the storm alone runs twice -duration", cores, one.Round(time.Millisecond), b.o.cost, b.o.runs)},
		row{workload: "W5 same storm beside W2", server: "ours", runs: loginsBeside, rpsUnit: "logins/s",
			ratio: fmt.Sprintf("%.2fx bound", medianRPS(loginsBeside)/bound)},
		row{workload: "W5 W2 alone, " + w2load, server: "ours", runs: alone, rpsUnit: "req/s"},
		row{workload: "W5 W2 beside the storm", server: "ours", runs: beside, rpsUnit: "req/s",
			ratio: fmt.Sprintf("%.2fx p99", pr), target: "<= 3x alone p99", pass: &ppass},
	)
	if b.o.profile["W5"] {
		b.profileRun(ctx, "W5", w2, b.o.w5Conns, &storm)
	}
	return nil
}

// profileRun drives one extra, unmeasured run of ours while the server
// records a CPU profile, and saves and summarises it.
func (b *bench) profileRun(ctx context.Context, name string, req request, conns int, beside *request) {
	secs := max(1, int(b.o.duration.Round(time.Second).Seconds()))
	log("%s: profiling the server for %ds", name, secs)
	var wg sync.WaitGroup
	wg.Go(func() { drive(ctx, req, conns, b.o.warmup, time.Duration(secs)*time.Second+500*time.Millisecond, nil) })
	if beside != nil {
		wg.Go(func() {
			drive(ctx, *beside, b.o.loginConns, b.o.warmup, time.Duration(secs)*time.Second+500*time.Millisecond, nil)
		})
	}
	sleep(ctx, b.o.warmup)
	file := filepath.Join(b.o.out, name+".cpu.pprof")
	err := func() error {
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprof, secs))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("pprof: %s", resp.Status)
		}
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(f, resp.Body)
		return err
	}()
	wg.Wait()
	if err != nil {
		log("%s: profile: %v", name, err)
		return
	}
	b.profiles = append(b.profiles, name)
}
