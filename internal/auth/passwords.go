// Package auth holds the account secrets: bcrypt password hashes, Fernet tokens
// over a user's session id (sid), and the middleware that turns an
// Authorization header into the current user.
package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/crypto/bcrypt"
)

// maxPasswordBytes is bcrypt's input limit. Python's bcrypt, which made the
// legacy hashes, silently used only the first 72 bytes; x/crypto refuses longer
// input instead. Truncating the same way keeps every legacy hash verifiable
// (64 code points of non-ASCII text can exceed 72 bytes).
const maxPasswordBytes = 72

// dummySaltAndHash is the salt and digest of a bcrypt hash of a password no one has.
const dummySaltAndHash = "18Fot3ud57QfRj46mceJGuezKnPP719k001A70iI9ViAOH6bf0Y.W"

// Passwords hashes and verifies passwords with bcrypt. bcrypt is CPU-bound by
// design, so at most a fixed number of computations (one per core by
// default) run at a time, each on a thread of its own at the lowest
// priority: a login storm queues here and takes only the CPU that other
// requests leave, instead of holding the cores for 250 ms at a stretch.
type Passwords struct {
	cost     int
	slots    chan struct{}
	inFlight atomic.Int64
	// observe, when set (by tests), hears the cost of every bcrypt
	// computation as it starts, so tests count work without timing it.
	observe func(cost int)
	// tracer, when set (tracing on), makes a span per computation.
	tracer trace.Tracer
}

// SetTracer makes every bcrypt computation a span of t ("bcrypt.hash" or
// "bcrypt.compare", with its cost; the wait for a core included). Without it nothing is traced.
func (p *Passwords) SetTracer(t trace.Tracer) { p.tracer = t }

// NewPasswords returns a hasher at the given cost (bcrypt.MinCost..MaxCost)
// that runs at most concurrency computations at once (0: GOMAXPROCS).
func NewPasswords(cost, concurrency int) (*Passwords, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d out of range %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Passwords{
		cost:  cost,
		slots: make(chan struct{}, concurrency),
	}, nil
}

// Cost is the configured work factor.
func (p *Passwords) Cost() int { return p.cost }

// InFlight is the number of bcrypt computations running or waiting now.
func (p *Passwords) InFlight() int64 { return p.inFlight.Load() }

// Hash returns a bcrypt hash of password at the configured cost.
func (p *Passwords) Hash(ctx context.Context, password string) (string, error) {
	var hash []byte
	err := p.run(ctx, "bcrypt.hash", p.cost, func() (err error) {
		hash, err = bcrypt.GenerateFromPassword(truncate(password), p.cost)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// Verify reports whether password matches hash ($2a$, $2b$ or $2y$), and whether
// the hash should be replaced because its cost is below the configured one.
// A malformed hash is an error, not a mismatch.
//
// A wrong password costs the work of one comparison at the configured cost
// (2^cost rounds), whatever the hash's own cost: against a cheaper hash at
// cost c Verify adds dummy comparisons at c, c+1, ..., cost-1, whose rounds
// with the real one's sum to exactly 2^cost, so the refusal's time does not
// tell which accounts still have old hashes. (A right password against a
// cheaper hash is paid for by the upgrade the caller then makes.)
func (p *Passwords) Verify(ctx context.Context, hash, password string) (ok, rehash bool, err error) {
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	err = p.run(ctx, "bcrypt.compare", cost, func() error {
		return bcrypt.CompareHashAndPassword([]byte(hash), truncate(password))
	})
	switch {
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		for c := cost; c < p.cost; c++ {
			if err := p.compareDummy(ctx, c, password); err != nil {
				return false, false, fmt.Errorf("verify password: %w", err)
			}
		}
		return false, false, nil
	case err != nil:
		return false, false, fmt.Errorf("verify password: %w", err)
	}
	return true, cost < p.cost, nil
}

// VerifyNothing spends the time of one comparison at the configured cost
// without a user: login calls it for an unknown email, so timing does not
// tell which emails have accounts.
func (p *Passwords) VerifyNothing(ctx context.Context, password string) error {
	return p.compareDummy(ctx, p.cost, password)
}

// compareDummy spends one comparison at cost against a hash nobody has.
func (p *Passwords) compareDummy(ctx context.Context, cost int, password string) error {
	dummy := dummyHash(cost)
	return p.run(ctx, "bcrypt.compare", cost, func() error {
		_ = bcrypt.CompareHashAndPassword(dummy, truncate(password))
		return nil
	})
}

// dummyHash is a well-formed hash at cost, built rather than computed (a
// computation would cost what it is meant to imitate): comparing against it
// costs what comparing against a real user's hash at cost costs.
func dummyHash(cost int) []byte { return fmt.Appendf(nil, "$2a$%02d$%s", cost, dummySaltAndHash) }

// run waits for a free bcrypt slot, unless ctx ends first, and runs f, a bcrypt
// computation at cost, on a low-priority thread; op names its span.
func (p *Passwords) run(ctx context.Context, op string, cost int, f func() error) error {
	if p.tracer != nil {
		var span trace.Span
		ctx, span = p.tracer.Start(ctx, op, trace.WithAttributes(attribute.Int("bcrypt.cost", cost)))
		defer span.End()
	}
	p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.slots }()
	if p.observe != nil {
		p.observe(cost)
	}
	return onLowPriorityThread(f)
}

// onLowPriorityThread runs f on an OS thread of its own at the lowest
// priority (nice 19) and waits for it. The kernel then gives the cores to
// every other thread first and slices finely, where Go's scheduler would let
// f hold a P until its 10 ms preemption. The thread is never given back: an
// unprivileged process cannot raise a thread's priority again, so it ends
// with the goroutine (a thread's start costs microseconds, a bcrypt 250 ms).
func onLowPriorityThread(f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		lowerThreadPriority()
		done <- f()
	}()
	return <-done
}

func truncate(password string) []byte {
	b := []byte(password)
	if len(b) > maxPasswordBytes {
		b = b[:maxPasswordBytes]
	}
	return b
}
