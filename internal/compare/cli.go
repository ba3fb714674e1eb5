package compare

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"users/internal/exchange"
)

// defaultDepartures is where departures.json sits in a checkout; compare
// reads it from there when --departures is not given and the file exists.
const defaultDepartures = "rest/testdata/departures.json"

const usage = `usage: server compare --legacy URL --new URL [flags] INPUT...
       server compare --recorded --new URL [flags] INPUT...

Replays the requests of each INPUT, in order, on the legacy service and then
on this one, and reports every difference in HTTP status, meta code, message,
description and data. Tokens, timestamps, ids, list order and headers other
than Content-Type are normalized first; differences this service makes on
purpose (departures.json and the README's deliberate differences) are listed
apart from real ones.

INPUT is a recorded exchange (the curl format of rest/testdata/golden) or a
directory of them, a HAR file, or an access log (common/combined log format,
or Heroku router lines; method, path and query only); "-" reads standard
input. The format is guessed from the content unless --format says.

Only GET, HEAD and OPTIONS are replayed by default. --allow-writes replays
POST, PUT, DELETE... as well: use it only against throwaway databases, each
service on its own copy in the same starting state, never against production.

Exit status: 0 when every request answered alike or as a deliberate
departure; 1 on a real difference or a failed request (refused, timed out);
2 when the comparison could not run (bad flags, unreadable input, nothing to
compare, interrupted).

Flags:
`

// ExitError ends the command with a given exit status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the status the process should exit with.
func (e *ExitError) ExitCode() int { return e.Code }

func usageError(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf("compare: "+format, args...)}
}

// headerFlags collects repeated --header "Name: value" flags.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }

func (h headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" || strings.ContainsAny(v, "\r\n") {
		return errors.New(`want "Name: value"`)
	}
	http.Header(h).Add(strings.TrimSpace(k), strings.TrimSpace(val))
	return nil
}

// Main runs `server compare` with args (after "compare"): the report goes to
// stdout, progress and warnings to stderr. It returns nil when there is no
// real difference, and an *ExitError otherwise.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := Options{Header: http.Header{}}
	var (
		departures string
		format     string
		asJSON     bool
	)
	fs.StringVar(&opts.Legacy, "legacy", "", "base `URL` of the legacy service")
	fs.StringVar(&opts.New, "new", "", "base `URL` of this service")
	fs.BoolVar(&opts.UseRecorded, "recorded", false, "compare with the answers recorded in the input (golden files, HAR) instead of --legacy")
	fs.BoolVar(&opts.AllowWrites, "allow-writes", false, "also replay state-changing requests: ONLY against throwaway databases")
	fs.StringVar(&departures, "departures", "", "departures.json `file` (default "+defaultDepartures+" when it exists)")
	fs.StringVar(&format, "format", formatAuto, "input format: auto, golden, har or log")
	fs.Var(headerFlags(opts.Header), "header", "`\"Name: value\"` added to every request, such as a token valid on both (repeatable)")
	fs.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "time allowed for one request, answer included")
	fs.DurationVar(&opts.ProgressEvery, "progress", 5*time.Second, "at most one progress line on stderr per `interval` (0: none)")
	fs.BoolVar(&asJSON, "json", false, "write the report as JSON")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}

	inputs, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return nil
	}
	if err != nil {
		return usageError("%v", err)
	}
	switch {
	case opts.New == "":
		return usageError("--new is required")
	case opts.UseRecorded && opts.Legacy != "":
		return usageError("--recorded and --legacy exclude each other")
	case !opts.UseRecorded && opts.Legacy == "":
		return usageError("--legacy (or --recorded) is required")
	case len(inputs) == 0:
		return usageError("no INPUT: give recorded exchanges, a HAR file or an access log")
	}
	if opts.Departures, err = loadDepartures(departures, stderr); err != nil {
		return usageError("%v", err)
	}
	src, closeInputs, err := openInputs(inputs, format, stdin)
	if err != nil {
		return usageError("%v", err)
	}
	defer closeInputs()
	opts.Progress = stderr

	rep, runErr := Run(ctx, opts, src)
	if rep == nil {
		return usageError("%v", runErr)
	}
	if asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	switch {
	case runErr != nil:
		return usageError("%v", runErr)
	case err != nil:
		return &ExitError{Code: 2, Err: fmt.Errorf("compare: write report: %w", err)}
	case rep.Summary.Requests == rep.Summary.Skipped:
		return usageError("nothing compared (%d requests skipped, %d unreadable)", rep.Summary.Skipped, rep.Summary.Unreadable)
	case !rep.OK:
		return &ExitError{Code: 1, Err: fmt.Errorf("compare: %d real differences, %d failed requests", rep.Summary.Differences, rep.Summary.Errors)}
	}
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// inputs, and returns the inputs; everything after "--" is an input.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var inputs, afterDashes []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, afterDashes = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return append(inputs, afterDashes...), nil
		}
		inputs = append(inputs, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// loadDepartures reads path, or the default file when path is empty and the
// default exists (a note goes to stderr when it does not).
func loadDepartures(path string, stderr io.Writer) (map[string]exchange.Departure, error) {
	if path == "" {
		if _, err := os.Stat(defaultDepartures); err != nil {
			fmt.Fprintf(stderr, "compare: no %s here: recorded exchanges get no named departures (--departures FILE)\n", defaultDepartures)
			return nil, nil
		}
		path = defaultDepartures
	}
	return exchange.ReadDepartures(path)
}
