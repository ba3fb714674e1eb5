package app

import (
	"errors"
	"io"
	"net/http"
	"time"
)

// Bounds of the lingering read after a refused body: enough for any client
// that sends a body of a few megabytes before it reads (most HTTP libraries
// without Expect: 100-continue), never a way to hold a connection.
const (
	lingerBytes = 16 << 20
	lingerTime  = 5 * time.Second
)

// limitBody caps every request body at n bytes: readers see
// *http.MaxBytesError past it, and answer 413 in their own format.
//
// A client that does not wait for 100 Continue is often still sending when
// that answer is written; if the server then closed the connection with the
// rest of the body unread, the client's kernel would get a reset and drop
// the answer (the client sees a broken pipe or a reset, never the 413). So
// after a refused body (read past n, or announced longer than n), limitBody
// sends the answer and then reads and discards what the client still sends,
// as nginx's lingering close does, up to lingerBytes and lingerTime. It runs
// outside the access log, so the lingering does not count in the request's
// duration.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := r.Body
			lb := &limitedBody{ReadCloser: http.MaxBytesReader(w, body, n)}
			r.Body = lb
			next.ServeHTTP(w, r)
			// A client that asked for 100 Continue sends nothing until it
			// gets it, and it never does once the answer is out.
			announced := r.ContentLength > n && r.Header.Get("Expect") != "100-continue"
			if lb.overLimit || announced {
				linger(w, body)
			}
		})
	}
}

// limitedBody notes whether a read went past the limit.
type limitedBody struct {
	io.ReadCloser
	overLimit bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		b.overLimit = true
	}
	return n, err
}

// linger puts the answer on the wire, then reads and discards the rest of
// body for at most lingerTime and lingerBytes.
func linger(w http.ResponseWriter, body io.Reader) {
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return
	}
	if err := rc.SetReadDeadline(time.Now().Add(lingerTime)); err != nil {
		return
	}
	_, _ = io.CopyN(io.Discard, body, lingerBytes)
}
