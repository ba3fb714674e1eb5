package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
)

func TestRunMigrate(t *testing.T) {
	t.Parallel()
	url := testdb.Empty(t)
	for i, want := range []string{"applied=2", "applied=0"} {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := run(ctx, []string{"server", "migrate"}, mapEnv(map[string]string{"DATABASE_URL": url}), &out, nil)
		cancel()
		if err != nil {
			t.Fatalf("migrate #%d: %v\n%s", i+1, err, out.String())
		}
		if !strings.Contains(out.String(), "msg=migrated") {
			t.Errorf("migrate #%d log lacks the migrated line:\n%s", i+1, out.String())
		}
		// The applied count depends on the migration files; only the second run's 0 is fixed.
		if i == 1 && !strings.Contains(out.String(), want) {
			t.Errorf("second migrate log lacks %s:\n%s", want, out.String())
		}
		if strings.Contains(out.String(), "listening") {
			t.Errorf("migrate started serving:\n%s", out.String())
		}
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var width int
	if err := conn.QueryRow(t.Context(), `SELECT character_maximum_length FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = 'user' AND column_name = 'sid'`).Scan(&width); err != nil || width != 64 {
		t.Errorf("after migrate: sid width %d, %v; want 64 (every migration applied)", width, err)
	}
}

func TestRunGenkey(t *testing.T) {
	var keys []string
	for range 2 {
		var out bytes.Buffer
		if err := run(t.Context(), []string{"server", "genkey"}, mapEnv(nil), &out, nil); err != nil {
			t.Fatalf("genkey: %v", err)
		}
		s := out.String()
		if !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
			t.Errorf("genkey output %q, want one line", s)
		}
		line := strings.TrimSuffix(s, "\n")
		k, err := fernet.DecodeKey(line)
		if err != nil {
			t.Fatalf("genkey printed %q: %v", line, err)
		}
		if k.Encode() != line {
			t.Errorf("genkey printed %q, not the URL-safe base64 form %q", line, k.Encode())
		}
		// The key works as a live SECRET_KEY.
		if _, err := config.Load(mapEnv(map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://x/y", "SECRET_KEY": line})); err != nil {
			t.Errorf("genkey's key refused as SECRET_KEY: %v", err)
		}
		keys = append(keys, line)
	}
	if keys[0] == keys[1] {
		t.Errorf("genkey printed the same key twice: %s", keys[0])
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"unknown subcommand", []string{"server", "bogus"}, nil, []string{"bogus"}},
		{"live without SECRET_KEY and DATABASE_URL", []string{"server"}, map[string]string{"APP_ENV": "live"}, []string{"SECRET_KEY", "DATABASE_URL"}},
		{"live migrate without SECRET_KEY and DATABASE_URL", []string{"server", "migrate"}, map[string]string{"APP_ENV": "live"}, []string{"SECRET_KEY", "DATABASE_URL"}},
		{"live with the legacy key", []string{"server"},
			map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none", "SECRET_KEY": config.LegacyKey}, []string{"SECRET_KEY", "legacy"}},
		{"live with the legacy key first of two", []string{"server"},
			map[string]string{"APP_ENV": "live", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none", "SECRET_KEY": config.LegacyKey + "," + apptest.NewKey(t)}, []string{"SECRET_KEY", "legacy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tt.args, mapEnv(tt.env), &out, nil)
			if err == nil {
				t.Fatalf("run accepted it\nlog:\n%s", out.String())
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not name %s", msg, w)
				}
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if strings.Contains(out.String(), "listening") {
				t.Errorf("it started serving:\n%s", out.String())
			}
		})
	}
}
