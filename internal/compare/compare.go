// Package compare replays a list of HTTP requests against the legacy service
// and this one and reports every difference in status, meta code, message,
// description and data, after normalizing what legitimately differs (token
// bytes, timestamps, ids, the order of a list, headers other than
// Content-Type). Differences that this service makes on purpose (the
// departures of rest/testdata/departures.json and the rules in rules) are
// listed apart from real ones. It is `server compare`: see Main.
package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"users/internal/exchange"
)

// Options configure one comparison.
type Options struct {
	Legacy      string // base URL of the legacy service; empty with UseRecorded
	New         string // base URL of this service
	UseRecorded bool   // compare with the answers recorded in the input instead of a live legacy service
	AllowWrites bool   // also replay state-changing requests (throwaway databases only)
	Departures  map[string]exchange.Departure
	Header      http.Header   // added to every request (such as a token valid on both)
	Timeout     time.Duration // for one request, answer included

	Progress      io.Writer     // where progress lines go; nil for none
	ProgressEvery time.Duration // at most one progress line per interval
}

// Run replays every request of src, in order, on the legacy service and then
// on this one (one request at a time: each service sees the sequence of
// states the recording saw). It stops early only when ctx ends or src fails
// as a whole, and returns what it compared so far with the error.
func Run(ctx context.Context, opts Options, src exchange.Seq) (*Report, error) {
	neu, err := newSide("new", opts.New)
	if err != nil {
		return nil, err
	}
	var legacy *side
	if !opts.UseRecorded {
		if legacy, err = newSide("legacy", opts.Legacy); err != nil {
			return nil, err
		}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	client := newClient()
	defer client.CloseIdleConnections()
	rep := newReport(opts)
	defer rep.finish()
	prog := progress{w: opts.Progress, every: opts.ProgressEvery, last: time.Now()}

	for ex, err := range src {
		var ee *exchange.EntryError
		switch {
		case errors.As(err, &ee):
			rep.unreadable(ee)
			continue
		case err != nil:
			return rep, err
		}
		res := compareOne(ctx, client, opts, legacy, neu, ex)
		if err := ctx.Err(); err != nil { // the request was cut short, not answered
			return rep, fmt.Errorf("interrupted after %d requests: %w", rep.Summary.Requests, err)
		}
		rep.add(res)
		prog.tick(rep)
	}
	return rep, nil
}

func compareOne(ctx context.Context, c *http.Client, opts Options, legacy, neu *side, ex exchange.Exchange) Result {
	skip := func(why string) Result {
		return Result{Name: ex.Name, Method: ex.Method, Target: ex.Target, Outcome: Skipped, Error: why}
	}
	if exchange.IsWrite(ex.Method) && !opts.AllowWrites {
		return skip("state-changing: replayed only with --allow-writes")
	}
	var recorded any
	if ex.Recorded != nil {
		recorded, _ = decodeJSON(ex.Recorded.Body)
	}
	var la answer
	if opts.UseRecorded {
		if ex.Recorded == nil {
			return skip("no recorded answer to compare with")
		}
		la = newAnswer(ex.Recorded.Status, ex.Recorded.Header, ex.Recorded.Body)
	} else {
		la = legacy.send(ctx, c, ex, opts.Header, opts.Timeout)
		legacy.learnTokens(recorded, la)
	}
	na := neu.send(ctx, c, ex, opts.Header, opts.Timeout)
	neu.learnTokens(recorded, na)
	return classify(ex, la, na, opts.Departures)
}

// progress writes a line now and then during a long run.
type progress struct {
	w     io.Writer
	every time.Duration
	last  time.Time
}

func (p *progress) tick(rep *Report) {
	if p.w == nil || p.every <= 0 || time.Since(p.last) < p.every {
		return
	}
	p.last = time.Now()
	s := rep.Summary
	fmt.Fprintf(p.w, "compare: %d requests: %d same, %d departures, %d differences, %d errors, %d skipped\n",
		s.Requests, s.Same, s.Departures, s.Differences, s.Errors, s.Skipped)
}
