package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"users/internal/exchange"
)

// Limits that keep a report readable on a long log.
const (
	maxRoutes     = 50   // rows of the summary table; further routes count as "(other)"
	maxUnreadable = 20   // unreadable entries listed; the rest are counted
	maxDiffsShown = 6    // differences shown per request in the text report
	maxResults    = 1000 // results kept; the summary still counts every request
)

// Report is the outcome of a comparison. Results lists every request that
// was not the same on both sides, in order.
type Report struct {
	Legacy     string     `json:"legacy"` // base URL, or "recorded answers"
	New        string     `json:"new"`
	OK         bool       `json:"ok"` // no real difference and no failed request
	Summary    Summary    `json:"summary"`
	Routes     []RouteRow `json:"routes"`
	Results    []Result   `json:"results"`
	LeftOut    int        `json:"results_left_out"` // results beyond the first 1000, counted only
	Unreadable []string   `json:"unreadable"`

	routes     map[string]*RouteRow
	routeOrder []string // first seen first
}

// Summary counts requests by outcome.
type Summary struct {
	Requests    int `json:"requests"` // read from the input, skipped ones included
	Same        int `json:"same"`
	Departures  int `json:"departures"`
	Differences int `json:"differences"`
	Errors      int `json:"errors"`
	Skipped     int `json:"skipped"`
	Unreadable  int `json:"unreadable"` // input entries that were not requests
}

// RouteRow is one row of the summary table: a method and a path with numeric
// segments as {id}.
type RouteRow struct {
	Route string `json:"route"`
	Summary
}

func newReport(opts Options) *Report {
	legacy := opts.Legacy
	if opts.UseRecorded {
		legacy = "recorded answers"
	}
	return &Report{Legacy: legacy, New: opts.New, OK: true, Routes: []RouteRow{}, Results: []Result{}, Unreadable: []string{},
		routes: map[string]*RouteRow{}}
}

func (r *Report) unreadable(e *exchange.EntryError) {
	r.Summary.Unreadable++
	if len(r.Unreadable) < maxUnreadable {
		r.Unreadable = append(r.Unreadable, e.Error())
	}
}

func (r *Report) add(res Result) {
	key := routeOf(res.Method, res.Target)
	row, ok := r.routes[key]
	if !ok {
		if len(r.routes) >= maxRoutes {
			key = "(other)"
			row = r.routes[key]
		}
		if row == nil {
			row = &RouteRow{Route: key}
			r.routes[key] = row
			r.routeOrder = append(r.routeOrder, key)
		}
	}
	for _, s := range []*Summary{&r.Summary, &row.Summary} {
		s.Requests++
		switch res.Outcome {
		case Same:
			s.Same++
		case Departure:
			s.Departures++
		case Difference:
			s.Differences++
		case Failed:
			s.Errors++
		case Skipped:
			s.Skipped++
		}
	}
	if res.Outcome == Difference || res.Outcome == Failed {
		r.OK = false
	}
	switch {
	case res.Outcome == Same || res.Outcome == Skipped:
	case len(r.Results) < maxResults:
		r.Results = append(r.Results, res)
	default:
		r.LeftOut++
	}
}

// finish fills Routes, in the order the routes were first seen.
func (r *Report) finish() {
	r.Routes = make([]RouteRow, 0, len(r.routeOrder))
	for _, key := range r.routeOrder {
		r.Routes = append(r.Routes, *r.routes[key])
	}
}

// routeOf is "GET /v1/users/{id}" for "GET /v1/users/12?x=1".
func routeOf(method, target string) string {
	path, _, _ := strings.Cut(target, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{id}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report for people: real differences, then failed
// requests, deliberate departures, unreadable input, skipped requests, the
// summary table and a verdict.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("compare: legacy %s, new %s\n", r.Legacy, r.New)
	r.section(ew, "Real differences", Difference)
	r.section(ew, "Failed requests", Failed)
	r.section(ew, "Deliberate departures", Departure)
	if r.LeftOut > 0 {
		ew.printf("\n... and %d more differing requests, counted below but not listed\n", r.LeftOut)
	}
	if r.Summary.Unreadable > 0 {
		ew.printf("\nUnreadable input entries (%d):\n", r.Summary.Unreadable)
		for _, u := range r.Unreadable {
			ew.printf("  %s\n", u)
		}
		if more := r.Summary.Unreadable - len(r.Unreadable); more > 0 {
			ew.printf("  ... and %d more\n", more)
		}
	}
	if r.Summary.Skipped > 0 {
		ew.printf("\nSkipped: %d requests (state-changing ones are replayed only with --allow-writes, against throwaway databases; with --recorded, only those with a recorded answer)\n", r.Summary.Skipped)
	}
	width := len("total")
	for _, rr := range r.Routes {
		width = max(width, len(rr.Route))
	}
	ew.printf("\n%-*s  %8s  %6s  %9s  %10s  %6s  %7s\n", width, "route", "requests", "same", "departure", "difference", "error", "skipped")
	row := func(name string, s Summary) {
		ew.printf("%-*s  %8d  %6d  %9d  %10d  %6d  %7d\n", width, name, s.Requests, s.Same, s.Departures, s.Differences, s.Errors, s.Skipped)
	}
	for _, rr := range r.Routes {
		row(rr.Route, rr.Summary)
	}
	row("total", r.Summary)
	ew.printf("\n%s\n", r.Verdict())
	return ew.err
}

// Verdict is the one-line conclusion.
func (r *Report) Verdict() string {
	s := r.Summary
	switch {
	case s.Requests-s.Skipped == 0:
		return "nothing compared"
	case !r.OK:
		return fmt.Sprintf("FAIL: %d real differences, %d failed requests (%d deliberate departures)", s.Differences, s.Errors, s.Departures)
	}
	return fmt.Sprintf("OK: no real difference (%d same, %d deliberate departures)", s.Same, s.Departures)
}

func (r *Report) section(ew *errWriter, title string, o Outcome) {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	if n == 0 {
		return
	}
	ew.printf("\n%s (%d):\n", title, n)
	for _, res := range r.Results {
		if res.Outcome != o {
			continue
		}
		ew.printf("  %s  %s %s", res.Name, res.Method, res.Target)
		if res.Departure != "" {
			ew.printf("  [%s]", res.Departure)
		}
		ew.printf("\n")
		if res.Error != "" {
			ew.printf("      %s\n", res.Error)
		}
		for i, d := range res.Diffs {
			if i == maxDiffsShown {
				ew.printf("      ... and %d more\n", len(res.Diffs)-i)
				break
			}
			ew.printf("      %s: legacy %s, new %s\n", d.Field, d.Legacy, d.New)
		}
	}
}

// errWriter keeps the first write error, so the report reads straight.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
