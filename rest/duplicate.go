package rest

import (
	"users/graph/model"
	"users/internal/legacy"
)

// duplicateDescription is legacy's 77 description: the database error as
// psycopg2 printed it, and the statement's parameters as Python printed them,
// minus the secrets legacy leaked there (password hash, token, sid). info
// was json.dumps' text of the sign-up's info.
func duplicateDescription(in model.CreateUserInput) map[string]string {
	info := "null"
	if in.Info != nil {
		if b, err := legacy.AppendJSON(nil, in.Info); err == nil {
			info = string(b)
		}
	}
	return map[string]string{
		"details": uniqueViolation(in.Email),
		"params":  "{'username': " + legacy.Repr(in.Username) + ", 'email': " + legacy.Repr(in.Email) + ", 'info': " + legacy.Repr(info) + "}",
	}
}

// emailConstraint is the legacy table's unique constraint on email, which
// the legacy duplicate answer names. legacy contract: do not rename.
const emailConstraint = "user_email_key"

// uniqueViolation is the text psycopg2 gave for a duplicate email: its
// exception class, then PostgreSQL's message and DETAIL line, which name the
// constraint and the key exactly as sent (the constraint compares emails
// byte for byte). It is built here rather than passed on from PostgreSQL so
// that the legacy wording stays in this package.
func uniqueViolation(email string) string {
	return "(psycopg2.errors.UniqueViolation) duplicate key value violates unique constraint \"" + emailConstraint + "\"\n" +
		"DETAIL:  Key (email)=(" + email + ") already exists.\n"
}
