package apptest

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds, and fails the test if it does not
// within the given time: a bound for things that happen in the background
// (a listener connecting, a notification arriving), not a timing test.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not so within %s: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
