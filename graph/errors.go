package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"users/internal/apperr"
)

// ErrorPresenter maps errors to GraphQL errors: the one place where an
// *apperr.Error becomes extensions {code, legacyCode, fields}. Errors gqlgen made
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
		out.Extensions = map[string]any{"code": string(e.Code), "legacyCode": e.Code.Legacy()}
		if len(e.Fields) > 0 {
			out.Extensions["fields"] = e.Fields
		}
		if e.Code == apperr.Internal {
			log.ErrorContext(ctx, "graphql", "path", out.Path.String(), "err", e.Err)
		}
		return out
	}
}

// RecoverFunc turns a resolver panic into an internal error; the presenter logs it.
func RecoverFunc(ctx context.Context, p any) error {
	return apperr.Internalf(fmt.Errorf("panic: %v", p), "resolver")
}
