package apptest

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is the server binary (or a script that execs it) running as a
// child process, as an operator runs it. For a separate process its log is
// the ready signal: WaitListening reads the `listening` line.
type Process struct {
	Cmd    *exec.Cmd
	Stdout Buffer // the server's log
	Stderr Buffer
	done   chan struct{}
	err    error // cmd.Wait's result, once done is closed
}

// StartProcess starts cmd, collecting its output. At the end of the test a
// process still running gets SIGTERM, and SIGKILL if it has not exited 15 s
// later; if the test failed, the end of its output goes to the test log.
func StartProcess(tb testing.TB, cmd *exec.Cmd) *Process {
	tb.Helper()
	p := &Process{Cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &p.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.Stdout.Write([]byte(sc.Text() + "\n"))
		}
		p.err = cmd.Wait() // after stdout is drained, as StdoutPipe requires
		close(p.done)
	}()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM) // our own child, by pid
			select {
			case <-p.done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-p.done
			}
		}
		if tb.Failed() {
			tb.Logf("%s: stdout (the end):\n%s\nstderr (the end):\n%s", cmd.Path, tail(p.Stdout.String()), tail(p.Stderr.String()))
		}
	})
	return p
}

// tail is the end of a process's output, enough to see why it failed.
func tail(s string) string { return s[max(0, len(s)-3000):] }

// Done is closed once the process has exited and its output is read.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the process's exit error (nil for status 0), once Done is closed.
func (p *Process) Err() error {
	<-p.done
	return p.err
}

// WaitListening waits up to timeout for the server's `listening` log line
// and returns the public listener's base URL (http://127.0.0.1:PORT). It
// fails the test if the process exits first.
func (p *Process) WaitListening(tb testing.TB, timeout time.Duration) string {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if addr, ok := ListenAddr(p.Stdout.String()); ok {
			return BaseURL(addr)
		}
		select {
		case <-p.done:
			tb.Fatalf("the server exited before it listened: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.Stdout.String(), p.Stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no listening line within %s\nstdout:\n%s\nstderr:\n%s", timeout, p.Stdout.String(), p.Stderr.String())
		}
	}
}

// ListenAddr returns the addr of the first `listening` record in a text or
// JSON log.
func ListenAddr(log string) (string, bool) {
	for line := range strings.Lines(log) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil {
			if rec.Msg == "listening" && rec.Addr != "" {
				return rec.Addr, true
			}
			continue
		}
		fields := strings.Fields(line) // slog's text form: key=value, space-separated
		if !slices.Contains(fields, "msg=listening") {
			continue
		}
		for _, f := range fields {
			if addr, ok := strings.CutPrefix(f, "addr="); ok {
				return addr, true
			}
		}
	}
	return "", false
}
