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
	"go.opentelemetry.io/otel/trace"

	"users/internal/clientip"
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

// withRequestID wraps a log handler so that every record logged with a
// request's context (log.InfoContext(r.Context(), ...) and the like) carries
// the request's id as request_id, and, when the request is traced, its trace
// id as trace_id: the access line, and the errors that REST, GraphQL and the
// recoverer log, can then be matched with each other and with the trace.
type withRequestID struct{ slog.Handler }

func (h withRequestID) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h withRequestID) WithAttrs(attrs []slog.Attr) slog.Handler {
	return withRequestID{h.Handler.WithAttrs(attrs)}
}

func (h withRequestID) WithGroup(name string) slog.Handler {
	return withRequestID{h.Handler.WithGroup(name)}
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
// duration, request id, client address (clientip's, so it must run after
// clientip.Middleware) and GraphQL operation. Never headers, bodies or the
// query string, which may hold credentials. Successful probes and scrapes
// (/healthz, /readyz, /metrics), which come every few seconds, are logged at
// debug level. observe, when not nil, is told every request, for metrics.
func accessLog(log *slog.Logger, observe func(method, route string, status int, d time.Duration)) func(http.Handler) http.Handler {
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
					observe(r.Method, route, status, d)
				}
				// request_id is added by the logger's handler (withRequestID).
				attrs := []any{
					"method", r.Method, "route", route, "status", status,
					"duration_ms", float64(d.Microseconds()) / 1000, "bytes", ww.BytesWritten(),
					"client_ip", clientip.From(r.Context()),
				}
				if li.operation != "" {
					attrs = append(attrs, "operation", li.operation)
				}
				level := slog.LevelInfo
				if quietRoutes[route] && status < 400 {
					level = slog.LevelDebug
				}
				log.Log(r.Context(), level, "request", attrs...)
			}()
			next.ServeHTTP(ww, r)
		})
	}
}

// quietRoutes are polled by machines; their successes are logged at debug level.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// recoverer answers a panic outside the GraphQL and legacy routes, which
// answer their own in their own format (graph.NewHandler, rest.Routes), with
// the operations endpoints' plain JSON 500, logged with its stack.
// http.ErrAbortHandler passes through: it is a deliberate abort.
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
				log.ErrorContext(r.Context(), "panic", "panic", p, "stack", string(debug.Stack()))
				writeStatus(w, http.StatusInternalServerError, "internal error")
			}()
			next.ServeHTTP(w, r)
		})
	}
}
