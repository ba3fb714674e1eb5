package rest

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"

	"users/internal/apperr"
	"users/internal/legacy"
)

// legacyErrors gives each domain code its legacy HTTP status and meta
// message; the meta code is legacy.MetaCode's. This is the one place REST
// reads error codes. The odd choices (500 for a duplicate, 404 for an
// unsupported method) are the legacy contract.
var legacyErrors = map[apperr.Code]struct {
	status  int
	message string
}{
	apperr.Invalid:          {http.StatusBadRequest, "Invalid Parameter"},
	apperr.UserNotExists:    {http.StatusNotFound, "User Not Exists"},
	apperr.PasswordNotMatch: {http.StatusBadRequest, "Password Not Match"},
	apperr.Duplicate:        {http.StatusInternalServerError, "Database Rollback Error"},
	apperr.Unauthenticated:  {http.StatusUnauthorized, "Authentication Required"},
	apperr.NotSupported:     {http.StatusNotFound, "Not Supported"},
	apperr.RateLimited:      {http.StatusTooManyRequests, "Too Many Requests"},
	apperr.TooLarge:         {http.StatusRequestEntityTooLarge, "Request Entity Too Large"},
	apperr.Internal:         {http.StatusInternalServerError, "Unknown Error"},
}

// writeError writes err in the legacy envelope. Internal errors are logged here,
// once, and shown only as "Unknown Error".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := apperr.As(err)
	writeErrorWith(w, r, log, e, description(e))
}

// writeErrorWith writes e with an explicit meta.description (nil for none).
func writeErrorWith(w http.ResponseWriter, r *http.Request, log *slog.Logger, e *apperr.Error, desc any) {
	code := e.Code
	le, ok := legacyErrors[code]
	if !ok {
		code, le = apperr.Internal, legacyErrors[apperr.Internal]
	}
	if code == apperr.Internal {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", e)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	writeMeta(w, le.status, meta{Code: legacy.MetaCode(code), Message: le.message, Description: desc})
}

// description is the legacy meta.description of an error: per-field messages
// (one message as a string, several as a list, as the legacy README shows), or
// the detail text, or nothing.
func description(e *apperr.Error) any {
	switch {
	case e.Code == apperr.Internal:
		return nil
	case len(e.Fields) > 0:
		d := make(map[string]any, len(e.Fields))
		for field, msgs := range e.Fields {
			if len(msgs) == 1 {
				d[field] = msgs[0]
			} else {
				d[field] = msgs
			}
		}
		return d
	case e.Detail != "":
		return e.Detail
	}
	return nil
}

// writeNotSupported is the legacy answer to a method or path it has no
// handler for: code 10, with the method and the decoded path as the client
// sent it (Falcon's req.path). The status is the legacy router's: 404, or
// 405 and 400 for the methods router.go says.
func writeNotSupported(w http.ResponseWriter, r *http.Request, status int) {
	writeMeta(w, status, meta{
		Code:        legacy.MetaCode(apperr.NotSupported),
		Message:     legacyErrors[apperr.NotSupported].message,
		Description: "method: " + r.Method + ", url: " + r.URL.Path,
	})
}

// recoverer answers a panic in a legacy route with the envelope's 500
// Unknown Error, logged with its stack like any internal error.
// http.ErrAbortHandler passes through: it is a deliberate abort (streamUsers).
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
				writeError(w, r, log, apperr.Internalf(fmt.Errorf("panic: %v\n%s", p, debug.Stack()), "rest"))
			}()
			next.ServeHTTP(w, r)
		})
	}
}
