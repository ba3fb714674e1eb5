package rest

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"users/graph"
	"users/graph/model"
)

// Streaming the whole list (GET /v1/users without ?limit).
const (
	// flushAt is how much of the answer is buffered before it is written:
	// the buffer holds at most that and one user.
	flushAt = 64 << 10
	// writeTimeout is each write's deadline. The server's WriteTimeout suits
	// one answer, not a million users.
	writeTimeout = 30 * time.Second
	// maxPooledBuffer keeps an unusually large buffer (huge info objects)
	// from staying in the pool.
	maxPooledBuffer = 1 << 20
)

// streamBuffers recycles the list's buffers: most lists are small, and a
// buffer per request would be allocated and zeroed every time.
var streamBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// streamUsers writes every user after the cursor after (nil: from the
// start), reading them through the users resolver in the largest pages it
// gives a caller without a response budget. The first page is read before
// anything is written, so an early failure still gets a proper envelope; a
// failure after that aborts the connection, so a client never takes a
// truncated list for a complete one.
func streamUsers(w http.ResponseWriter, r *http.Request, q graph.QueryResolver, log *slog.Logger, after *string) {
	first := model.MaxStreamPage
	page, err := q.Users(r.Context(), &first, after, nil, nil)
	if err != nil {
		writeError(w, r, log, err)
		return
	}
	pb := streamBuffers.Get().(*[]byte)
	buf := (*pb)[:0]
	defer func() {
		if cap(buf) <= maxPooledBuffer {
			*pb = buf[:0]
			streamBuffers.Put(pb)
		}
	}()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	write := func() bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // unsupported writers ignore it
		_, err := w.Write(buf)
		buf = buf[:0]
		return err == nil
	}
	buf = append(buf, okHead+"["...)
	for n := 0; ; {
		for _, u := range page.Nodes {
			if n > 0 {
				buf = append(buf, ", "...)
			}
			buf = appendUser(buf, u, "")
			n++
			if len(buf) >= flushAt && !write() {
				return // the client went away
			}
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		if page, err = q.Users(r.Context(), &first, page.PageInfo.EndCursor, nil, nil); err != nil {
			log.ErrorContext(r.Context(), "stream users", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	buf = append(buf, "]}"...)
	write()
}
