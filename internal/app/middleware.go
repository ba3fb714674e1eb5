package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

type requestIDKey struct{}

// RequestID returns the request's id, as set by the requestID middleware.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestID takes the id from X-Request-Id when it is a sane token (a load
// balancer's), or makes one, and echoes it in the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// saneID accepts up to 128 printable ASCII characters without spaces, so an id
// cannot forge log lines or bloat them.
func saneID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// logInfo collects what handlers learn about a request for its access line.
type logInfo struct{ operation string }

type logInfoKey struct{}

// SetOperation records the GraphQL operation name for the access log.
func SetOperation(ctx context.Context, name string) {
	if li, ok := ctx.Value(logInfoKey{}).(*logInfo); ok {
		li.operation = name
	}
}

// accessLog writes one line per request: method, route pattern, status,
// duration, request id and GraphQL operation. Never headers, bodies or the
// query string, which may hold credentials.
func accessLog(log *slog.Logger, observe func(route string, status int, d time.Duration)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			li := &logInfo{}
			r = r.WithContext(context.WithValue(r.Context(), logInfoKey{}, li))
			defer func() {
				d := time.Since(start)
				route := chi.RouteContext(r.Context()).RoutePattern()
				if route == "" {
					route = "unmatched"
				}
				status := ww.Status()
				if status == 0 {
					status = http.StatusOK
				}
				if observe != nil {
					observe(route, status, d)
				}
				attrs := []any{
					"method", r.Method, "route", route, "status", status,
					"duration_ms", float64(d.Microseconds()) / 1000, "bytes", ww.BytesWritten(),
					"request_id", RequestID(r.Context()),
				}
				if li.operation != "" {
					attrs = append(attrs, "operation", li.operation)
				}
				log.InfoContext(r.Context(), "request", attrs...)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// recoverer turns a handler panic into the legacy envelope's 500, logged with
// its stack. http.ErrAbortHandler passes through: it is a deliberate abort.
func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "panic", p, "stack", string(debug.Stack()), "request_id", RequestID(r.Context()))
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"meta": {"code": 500, "message": "Unknown Error"}}`))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// limitBody caps every request body; readers see *http.MaxBytesError past it
// and answer 413 in their own format.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}
