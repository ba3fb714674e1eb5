// Package pgadmin creates and drops databases on a PostgreSQL server and
// writes connection strings safely into messages: what the test databases
// (testdb), the bench database and the local run's database (server.go) all
// need.
package pgadmin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer runs a statement: a *pgx.Conn or a *pgxpool.Pool on the server's
// maintenance database (postgres), as a role that may create databases.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Create creates database name as a copy of template ("" for the server's
// default, template1).
func Create(ctx context.Context, e Execer, name, template string) error {
	sql := "CREATE DATABASE " + ident(name)
	if template != "" {
		sql += " TEMPLATE " + ident(template)
	}
	if _, err := e.Exec(ctx, sql); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// CreateIfMissing creates database name from the default template unless it
// exists.
func CreateIfMissing(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	return Create(ctx, conn, name, "")
}

// Drop drops database name if it exists, closing any connection still open
// to it.
func Drop(ctx context.Context, e Execer, name string) error {
	if _, err := e.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// WithDatabase returns connection string s pointing at database name instead.
// s is a URL (postgres://...) or a keyword/value string (host=... dbname=...).
func WithDatabase(s, name string) (string, error) {
	if isURL(s) {
		u, err := url.Parse(s)
		if err != nil {
			return "", errors.New("database URL: not a valid URL") // url's message quotes it, password included
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	// Keyword/value: a later dbname overrides an earlier one.
	if strings.TrimSpace(s) == "" {
		return "", errors.New("empty connection string")
	}
	return s + " dbname=" + name, nil
}

// Redact returns connection string s with its password hidden, for messages
// and logs: a URL with the password as "xxxxx"; a keyword/value string that
// names a password, or a URL that does not parse, as a placeholder.
func Redact(s string) string {
	if isURL(s) {
		if u, err := url.Parse(s); err == nil {
			return u.Redacted()
		}
		return "(unparsable database URL)"
	}
	if strings.Contains(s, "password") {
		return "(connection string with password)"
	}
	return s
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}
