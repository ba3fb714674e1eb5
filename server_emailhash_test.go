package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fernet/fernet-go"

	"users/internal/config"
	"users/internal/secevent"
)

// TestRunEmailhash: `server emailhash EMAIL` prints the email_hash that
// security events carry for EMAIL, from the first SECRET_KEY of the same
// environment the server reads.
func TestRunEmailhash(t *testing.T) {
	var first fernet.Key
	if err := first.Generate(); err != nil {
		t.Fatal(err)
	}
	env := mapEnv(map[string]string{"SECRET_KEY": first.Encode() + "," + config.LegacyKey})
	want := secevent.NewEmailHasher(first[:]).Hash("bob.smith@mail.co")
	for _, email := range []string{"bob.smith@mail.co", " Bob.Smith@Mail.co "} {
		var out bytes.Buffer
		if err := run(t.Context(), []string{"server", "emailhash", email}, env, &out, nil); err != nil {
			t.Fatalf("emailhash %q: %v", email, err)
		}
		if out.String() != want+"\n" {
			t.Errorf("emailhash %q printed %q, want %q", email, out.String(), want+"\n")
		}
	}
	// The local default key gives another hash.
	var out bytes.Buffer
	if err := run(t.Context(), []string{"server", "emailhash", "bob.smith@mail.co"}, mapEnv(nil), &out, nil); err != nil || strings.TrimSpace(out.String()) == want {
		t.Errorf("emailhash with the default key: %q, %v; want another hash", out.String(), err)
	}

	for name, args := range map[string][]string{
		"no email":   {"server", "emailhash"},
		"two emails": {"server", "emailhash", "a@example.com", "b@example.com"},
	} {
		if err := run(t.Context(), args, env, &out, nil); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
	// Live without its settings refuses, as the server does.
	if err := run(t.Context(), []string{"server", "emailhash", "a@example.com"}, mapEnv(map[string]string{"APP_ENV": "live"}), &out, nil); err == nil {
		t.Error("live without SECRET_KEY: no error")
	}
}
