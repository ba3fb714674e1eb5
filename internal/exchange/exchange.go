// Package exchange reads lists of HTTP requests to replay, from three formats:
// the curl-style recordings of rest/testdata/golden (request and recorded
// answer), HAR files (what browsers and proxies export) and access logs in the
// common or combined log format (method and target only). It also reads
// departures.json, the answers this service gives differently from a recorded
// legacy exchange on purpose.
//
// Every parser takes outside input: it returns an error, never panics, on
// anything malformed.
package exchange

import (
	"fmt"
	"iter"
	"net/http"
	"strings"
)

// Exchange is one request to replay, with the answer recorded for it when the
// source keeps one.
type Exchange struct {
	Name     string // where it came from: a golden file name, "entry 3", "line 12"
	Method   string
	Target   string // path and query, as sent: "/v1/users?limit=2"
	Header   http.Header
	Body     string
	Recorded *Response // nil when the source keeps no answer (access logs)
}

// Response is a recorded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Seq yields the requests of one source in order. A request that cannot be
// read comes as an *EntryError (and the sequence goes on); any other error
// ends the sequence.
type Seq = iter.Seq2[Exchange, error]

// EntryError is one unreadable entry of a source that is otherwise readable:
// a log line that is not a request, a HAR entry with a bad URL.
type EntryError struct {
	Name string // "line 7", "entry 3"
	Err  error
}

func (e *EntryError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *EntryError) Unwrap() error { return e.Err }

// IsWrite reports whether method may change state on the server: anything but
// GET, HEAD and OPTIONS.
func IsWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// Slice turns a list read at once into a Seq.
func Slice(exs []Exchange) Seq {
	return func(yield func(Exchange, error) bool) {
		for _, ex := range exs {
			if !yield(ex, nil) {
				return
			}
		}
	}
}

// validMethod reports whether m is an HTTP token (RFC 9110), upper or lower
// case, as a request line or a HAR entry may hold.
func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for _, c := range m {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no line
// breaks or NUL, which would split or end the header.
func validHeaderValue(v string) bool {
	return !strings.ContainsAny(v, "\r\n\x00")
}

// target reduces a request target (origin form "/p?q" or absolute form
// "http://host/p?q") to its path and query, which is what gets replayed
// against another base URL.
func target(raw string) (string, error) {
	if strings.HasPrefix(raw, "/") {
		if strings.ContainsAny(raw, " \t\r\n") {
			return "", fmt.Errorf("target %q has white space", raw)
		}
		return raw, nil
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || (!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https")) {
		return "", fmt.Errorf("target %q is neither a path nor an http(s) URL", clip(raw))
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = "/"
	}
	rest, _, _ = strings.Cut(rest, "#")
	if strings.HasPrefix(rest, "?") {
		rest = "/" + rest
	}
	return target(rest)
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
