package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"users/internal/apperr"
	"users/internal/legacy"
)

// ErrorPresenter maps errors to GraphQL errors: the one place where an
// *apperr.Error becomes extensions {code, legacyCode, fields, retryAfter}. Errors gqlgen made
// itself (parse, validation, argument coercion) describe the request and pass
// through; anything else is internal: logged once here, shown as "internal error".
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var e *apperr.Error
		if !errors.As(err, &e) {
			var gqlErr *gqlerror.Error
			if errors.As(err, &gqlErr) && gqlErr.Err == nil {
				return gqlErr
			}
			e = apperr.As(err)
			if e.Code == apperr.Internal && gqlErr != nil {
				// gqlgen wraps input coercion failures (a bad Map, an Int out of
				// range) around a plain error: those are the client's.
				e = &apperr.Error{Code: apperr.Invalid, Message: gqlErr.Message}
			}
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		out.Message = e.Message
		if e.Detail != "" {
			out.Message += ": " + e.Detail
		}
		out.Extensions = map[string]any{"code": string(e.Code), "legacyCode": legacy.MetaCode(e.Code)}
		if len(e.Fields) > 0 {
			out.Extensions["fields"] = e.Fields
		}
		if e.RetryAfter > 0 {
			// Whole seconds, rounded up, as REST's Retry-After header says.
			out.Extensions["retryAfter"] = int(math.Ceil(e.RetryAfter.Seconds()))
		}
		if e.Code == apperr.Internal {
			log.ErrorContext(ctx, "graphql", "path", out.Path.String(), "err", e.Err)
		}
		return out
	}
}

// RecoverFunc turns a panic in a resolver, or anywhere in gqlgen's handler,
// into an internal error; the presenter logs it with its stack.
func RecoverFunc(_ context.Context, p any) error {
	return panicError(p)
}

func panicError(p any) *apperr.Error {
	return apperr.Internalf(fmt.Errorf("panic: %v\n%s", p, debug.Stack()), "graphql")
}

// recoverer answers a panic between the router and gqlgen's own recovery as
// a GraphQL result with one INTERNAL error (status 500), presented and so
// logged like any other.
func recoverer(next http.Handler, present graphql.ErrorPresenterFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			body, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{present(r.Context(), panicError(p))}})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(body)
		}()
		next.ServeHTTP(w, r)
	})
}
