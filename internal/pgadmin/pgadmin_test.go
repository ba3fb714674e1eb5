package pgadmin_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"users/internal/pgadmin"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"},
		{"postgresql://u:p@h/", "postgresql://u:p@h/x"},
		{"host=h user=u dbname=postgres", "host=h user=u dbname=postgres dbname=x"},
	} {
		got, err := pgadmin.WithDatabase(c.in, "x")
		if err != nil || got != c.want {
			t.Errorf("WithDatabase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	cfg, err := pgx.ParseConfig("host=h user=u dbname=postgres dbname=x")
	if err != nil || cfg.Database != "x" {
		t.Errorf("later dbname does not win: %v, %v", cfg, err)
	}
	for _, bad := range []string{"", "  ", "postgres://u:s3cret@h:5432%zz/db"} {
		_, err := pgadmin.WithDatabase(bad, "x")
		if err == nil {
			t.Errorf("WithDatabase(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("WithDatabase(%q) error quotes the password: %v", bad, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://app:s3cret@db:5432/users?sslmode=disable", "postgres://app:xxxxx@db:5432/users?sslmode=disable"},
		{"postgresql://app@db/users", "postgresql://app@db/users"},
		{"postgres://app:s3cret@db:5432%zz/users", "(unparsable database URL)"},
		{"host=db user=app password=s3cret dbname=users", "(connection string with password)"},
		{"host=db user=app dbname=users", "host=db user=app dbname=users"},
	} {
		if got := pgadmin.Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCreateAndDrop creates, re-creates and drops a database on the test
// server; the drop succeeds with a connection still open to the database.
func TestCreateAndDrop(t *testing.T) {
	ctx := t.Context()
	adminURL := testdb.NewURL(t) // any database on the server will do for CREATE DATABASE
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	exists := func(name string) bool {
		t.Helper()
		var ok bool
		if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	name := "pgadmin_test_" + strings.ToLower(rand.Text()[:12]) // other test processes share the server
	if err := pgadmin.CreateIfMissing(ctx, admin, name); err != nil {
		t.Fatalf("CreateIfMissing: %v", err)
	}
	t.Cleanup(func() { _ = pgadmin.Drop(context.Background(), admin, name) })
	if !exists(name) {
		t.Fatalf("%s missing after CreateIfMissing", name)
	}
	if err := pgadmin.CreateIfMissing(ctx, admin, name); err != nil {
		t.Errorf("CreateIfMissing on an existing database: %v", err)
	}
	if err := pgadmin.Create(ctx, admin, name, ""); err == nil || !strings.Contains(err.Error(), name) {
		t.Errorf("Create of an existing database: %v, want an error naming it", err)
	}

	u, err := pgadmin.WithDatabase(adminURL, name)
	if err != nil {
		t.Fatal(err)
	}
	open, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(context.Background())
	if err := pgadmin.Drop(ctx, admin, name); err != nil {
		t.Fatalf("Drop with a connection open: %v", err)
	}
	if exists(name) {
		t.Errorf("%s still exists after Drop", name)
	}
	if err := pgadmin.Drop(ctx, admin, name); err != nil {
		t.Errorf("Drop of a missing database: %v", err)
	}

	copyName := name + "_copy"
	if err := pgadmin.Create(ctx, admin, copyName, "template0"); err != nil {
		t.Fatalf("Create from template0: %v", err)
	}
	if !exists(copyName) {
		t.Errorf("%s missing after Create", copyName)
	}
	if err := pgadmin.Drop(ctx, admin, copyName); err != nil {
		t.Error(err)
	}
}
