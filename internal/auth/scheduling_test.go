package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"users/internal/auth"
)

// TestPasswordsContextWhileWaiting takes the only bcrypt slot, then checks
// that calls waiting for a slot give up with the context's error when it ends.
func TestPasswordsContextWhileWaiting(t *testing.T) {
	t.Parallel()
	p, err := auth.NewPasswords(bcrypt.MinCost, 1)
	if err != nil {
		t.Fatal(err)
	}

	// The holder must still hold the slot when the context is cancelled; if a
	// slow machine let it finish first, try again with a longer hash.
	for _, cost := range []int{9, 11} {
		if waitingGivesUp(t, p, cost) {
			return
		}
		t.Logf("the hash at cost %d finished before the waiters were cancelled; retrying", cost)
	}
	t.Fatal("could not hold the slot long enough")
}

// waitingGivesUp holds p's only slot with a comparison at cost, queues Hash,
// Verify and VerifyNothing behind it, cancels their context and checks that
// they return its error. It returns false when the comparison ended too early
// to tell.
func waitingGivesUp(t *testing.T, p *auth.Passwords, cost int) bool {
	t.Helper()
	cheap, err := bcrypt.GenerateFromPassword([]byte("holdtheslot"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// A well-formed hash at cost, made without spending that cost: comparing
	// against it does spend it (and then fails).
	costly := fmt.Sprintf("$2a$%02d$%s", cost, cheap[7:])

	var done atomic.Bool
	var holder sync.WaitGroup
	defer holder.Wait()
	holder.Go(func() {
		defer done.Store(true)
		_, _, _ = p.Verify(context.Background(), costly, "holdtheslot")
	})
	waitFor(t, func() bool { return p.InFlight() == 1 || done.Load() })
	time.Sleep(5 * time.Millisecond) // let the holder take the slot

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls := map[string]func() error{
		"Hash":          func() error { _, err := p.Hash(ctx, "alicepass1"); return err },
		"Verify":        func() error { _, _, err := p.Verify(ctx, string(cheap), "alicepass1"); return err },
		"VerifyNothing": func() error { return p.VerifyNothing(ctx, "alicepass1") },
	}
	errs := make(map[string]error, len(calls))
	var mu sync.Mutex
	var waiters sync.WaitGroup
	for name, call := range calls {
		waiters.Go(func() {
			err := call()
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		})
	}
	waitFor(t, func() bool { return p.InFlight() == int64(1+len(calls)) || done.Load() })
	cancel()
	held := !done.Load()
	waiters.Wait()
	if !held {
		return false
	}
	for name := range calls {
		if !errors.Is(errs[name], context.Canceled) {
			t.Errorf("%s while waiting = %v, want context.Canceled", name, errs[name])
		}
	}
	return true
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
	}
}
