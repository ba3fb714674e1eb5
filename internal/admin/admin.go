// Package admin is the operator's `server admin` command: grant and revoke
// the admin role, and list the admins. Roles change here and nowhere else:
// no API operation can change one. Like internal/migrate it is an operator
// entry point beside the request path, so it runs its own db/ queries.
//
// A change updates the user's row, so every replica's session cache drops
// the user's sessions (migration 00003) and the user's next request, with
// the tokens they hold, has the new role. Exit status: 0 when done or when
// there was nothing to change, 1 when no user has the email or the
// database fails, 2 on bad usage.
package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	pgx "github.com/jackc/pgx/v5"

	"users/db"
	"users/internal/auth"
)

// ExitError ends the command with a given exit status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the status the process should exit with.
func (e *ExitError) ExitCode() int { return e.Code }

// ErrNoUser is the failure of grant and revoke when no user has the email.
var ErrNoUser = errors.New("no user has this email")

// Command is one parsed `server admin` command.
type Command struct {
	action string // grant, revoke or list
	email  string // for grant and revoke
}

// Parse reads the arguments after "admin". It needs no database, so bad
// usage is reported before anything connects.
func Parse(args []string) (Command, error) {
	switch {
	case len(args) == 2 && (args[0] == "grant" || args[0] == "revoke") && args[1] != "":
		return Command{action: args[0], email: args[1]}, nil
	case len(args) == 1 && args[0] == "list":
		return Command{action: "list"}, nil
	}
	return Command{}, &ExitError{Code: 2, Err: errors.New("usage: server admin grant EMAIL | revoke EMAIL | list")}
}

// Run runs the command on the database and writes what it did to stdout.
func (c Command) Run(ctx context.Context, dbtx db.DBTX, stdout io.Writer) error {
	q := db.New(dbtx)
	switch c.action {
	case "grant":
		return c.setRole(ctx, q, stdout, auth.RoleAdmin, "is now an admin", "is already an admin")
	case "revoke":
		return c.setRole(ctx, q, stdout, auth.RoleUser, "is no longer an admin", "is not an admin")
	default:
		return list(ctx, q, stdout)
	}
}

func (c Command) setRole(ctx context.Context, q *db.Queries, stdout io.Writer, role auth.Role, done, already string) error {
	userID, changed, err := SetRole(ctx, q, c.email, role)
	switch {
	case errors.Is(err, ErrNoUser):
		return &ExitError{Code: 1, Err: fmt.Errorf("admin %s: no user has the email %q (emails are compared exactly)", c.action, c.email)}
	case err != nil:
		return &ExitError{Code: 1, Err: fmt.Errorf("admin %s: %w", c.action, err)}
	case changed:
		_, err = fmt.Fprintf(stdout, "%s (user %d) %s, from their next request on every replica\n", c.email, userID, done)
	default:
		_, err = fmt.Fprintf(stdout, "%s (user %d) %s: nothing changed\n", c.email, userID, already)
	}
	return err
}

// SetRole gives the user with email the role and returns their user_id;
// changed is false when the role was theirs already (nothing is written,
// and no replica is told). It fails with ErrNoUser when no user has email.
func SetRole(ctx context.Context, q *db.Queries, email string, role auth.Role) (userID int32, changed bool, err error) {
	userID, err = q.SetRole(ctx, db.SetRoleParams{Role: string(role), Email: email})
	if err == nil {
		return userID, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, fmt.Errorf("set role: %w", err)
	}
	// Nothing changed: the role was theirs already, or there is no such user.
	row, err := q.GetRole(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, ErrNoUser
	}
	if err != nil {
		return 0, false, fmt.Errorf("read role: %w", err)
	}
	if auth.Role(row.Role) != role {
		// Changed by someone else between the two queries: say so rather
		// than claim either outcome.
		return 0, false, fmt.Errorf("the role of %q changed meanwhile: run the command again", email)
	}
	return row.UserID, false, nil
}

// list writes the admins as a table, or "no admins".
func list(ctx context.Context, q *db.Queries, stdout io.Writer) error {
	admins, err := q.ListAdmins(ctx)
	if err != nil {
		return &ExitError{Code: 1, Err: fmt.Errorf("admin list: %w", err)}
	}
	if len(admins) == 0 {
		_, err := fmt.Fprintln(stdout, "no admins")
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "USER_ID\tUSERNAME\tEMAIL")
	for _, a := range admins {
		fmt.Fprintf(w, "%d\t%s\t%s\n", a.UserID, printable(a.Username), printable(a.Email))
	}
	return w.Flush()
}

// printable is s as it is when every character of it prints, else quoted
// in Go's syntax: a stored username is whatever a client sent (legacy rows
// included), and must not put control sequences on an operator's terminal
// or break the table.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}
