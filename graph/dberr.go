package graph

import (
	"errors"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"

	"users/internal/apperr"
)

// dbError maps a database failure to the domain error. This is the only place
// that reads PostgreSQL error codes. Messages never include bound parameter
// values (pgconn errors carry none; DETAIL names only the duplicate email, which
// the client sent itself).
func dbError(err error, op string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == pgerrcode.UniqueViolation:
			return &apperr.Error{
				Code:    apperr.Duplicate,
				Message: "email already registered",
				// legacy contract: the constraint message and its DETAIL line.
				Detail: pgErr.Message + "\nDETAIL:  " + pgErr.Detail,
				Err:    err,
			}
		case pgerrcode.IsDataException(pgErr.Code):
			// A value the validation rules allow but PostgreSQL cannot store,
			// such as a NUL character in text.
			return &apperr.Error{Code: apperr.Invalid, Message: "invalid parameter", Detail: "value cannot be stored: " + pgErr.Message, Err: err}
		}
	}
	return apperr.Internalf(err, "%s", op)
}
