package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// request describes what one load-generator connection sends, over and over.
type request struct {
	method string
	url    string
	// urlOf returns the URL of request number i of one worker (nil: url),
	// for a load that mixes endpoints.
	urlOf  func(worker, i int) string
	header http.Header
	// body returns the request body for request number i of one worker (nil: none).
	body func(worker, i int) []byte
	// ok checks a 200 answer's body; nil accepts any 200.
	ok func(body []byte) bool
}

// result is one run of one request against one server.
type result struct {
	requests int           // completed inside the measured window (errors included)
	errors   int           // non-200, transport failures, failed checks
	window   time.Duration // the measured window
	lat      []time.Duration
	cpu      cpuSnap // CPU used during the window, when drive was given a snapshot function
}

func (r result) rps() float64 { return float64(r.requests-r.errors) / r.window.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p)
	return r.lat[i]
}

// newTransport is a keep-alive HTTP/1.1 client with one connection per worker.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// drive runs conns closed-loop workers sending req for warmup+duration and
// measures the last duration: each worker sends its next request as soon as
// the previous answer is read, over one kept-alive connection.
// snap, when not nil, is called at the start and end of the window to
// account CPU time.
func drive(ctx context.Context, req request, conns int, warmup, duration time.Duration, snap func() cpuSnap) result {
	return driveAt(ctx, req, conns, 0, warmup, duration, snap)
}

// driveAt is drive at a fixed total rate (requests/s; 0: closed loop) spread
// over the connections. Paced requests are timed from when they were due,
// not from when they were sent, so a stalled server shows in the latency
// rather than as fewer requests (no coordinated omission).
func driveAt(ctx context.Context, req request, conns int, rate float64, warmup, duration time.Duration, snap func() cpuSnap) result {
	tr := newTransport(conns)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}

	var recording atomic.Bool
	stop := make(chan struct{})
	type acc struct {
		n, errs int
		lat     []time.Duration
	}
	accs := make([]acc, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := &accs[w]
			a.lat = make([]time.Duration, 0, 4096)
			var buf bytes.Buffer
			var interval time.Duration
			due := time.Now()
			if rate > 0 {
				interval = time.Duration(float64(conns) / rate * float64(time.Second))
				due = due.Add(time.Duration(w) * interval / time.Duration(conns)) // stagger the workers
			}
			for i := 0; ; i++ {
				if rate > 0 {
					if d := time.Until(due); d > 0 {
						t := time.NewTimer(d)
						select {
						case <-stop:
							t.Stop()
							return
						case <-ctx.Done():
							t.Stop()
							return
						case <-t.C:
						}
					}
				}
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				hr, err := req.build(ctx, w, i)
				if err != nil {
					panic(err)
				}
				start := time.Now()
				if rate > 0 {
					start = due
					due = due.Add(interval)
				}
				resp, err := client.Do(hr)
				good := err == nil
				if err == nil {
					buf.Reset()
					_, rerr := buf.ReadFrom(resp.Body)
					resp.Body.Close()
					good = rerr == nil && resp.StatusCode == http.StatusOK && (req.ok == nil || req.ok(buf.Bytes()))
				}
				d := time.Since(start)
				if recording.Load() {
					a.n++
					if !good {
						a.errs++
					}
					a.lat = append(a.lat, d)
				}
				if !good && ctx.Err() == nil {
					time.Sleep(time.Millisecond) // a failing server must not spin the generator
				}
			}
		}()
	}
	sleep(ctx, warmup)
	var cpu0 cpuSnap
	if snap != nil {
		cpu0 = snap()
	}
	recording.Store(true)
	start := time.Now()
	sleep(ctx, duration)
	recording.Store(false)
	window := time.Since(start)
	var r result
	if snap != nil {
		r.cpu = snap().sub(cpu0)
	}
	close(stop)
	wg.Wait()

	r.window = window
	for _, a := range accs {
		r.requests += a.n
		r.errors += a.errs
		r.lat = append(r.lat, a.lat...)
	}
	slices.Sort(r.lat)
	return r
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// build makes request number i of one worker.
func (r request) build(ctx context.Context, worker, i int) (*http.Request, error) {
	u := r.url
	if r.urlOf != nil {
		u = r.urlOf(worker, i)
	}
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body(worker, i))
	}
	hr, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return nil, err
	}
	hr.Header = r.header
	return hr, nil
}

// fetch sends one request and returns status and body.
func fetch(ctx context.Context, req request) (int, []byte, error) {
	return fetchNth(ctx, req, 0, 0)
}

// fetchNth sends request number i of one worker and returns status and body.
func fetchNth(ctx context.Context, req request, worker, i int) (int, []byte, error) {
	hr, err := req.build(ctx, worker, i)
	if err != nil {
		return 0, nil, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(hr)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
