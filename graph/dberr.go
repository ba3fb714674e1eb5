package graph

import (
	"errors"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5/pgconn"

	"users/internal/apperr"
)

// dbError maps a database failure to the domain error. This is the only place
// that reads PostgreSQL error codes. A duplicate carries no PostgreSQL text
// (constraint name, DETAIL line) to clients: the cause stays in Err, and REST
// writes the legacy wording itself.
func dbError(err error, op string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == pgerrcode.UniqueViolation:
			// The only unique constraint of "user" is the email's.
			e := apperr.New(apperr.Duplicate, "")
			e.Fields = map[string][]string{"email": {"already registered"}}
			e.Err = err
			return e
		case pgerrcode.IsDataException(pgErr.Code):
			// A value the validation rules allow but PostgreSQL cannot store,
			// such as a NUL character in text.
			e := apperr.New(apperr.Invalid, "value cannot be stored: "+pgErr.Message)
			e.Err = err
			return e
		}
	}
	return apperr.Internalf(err, "%s", op)
}
