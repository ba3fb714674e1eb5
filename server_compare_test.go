package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestRunCompare: run dispatches `server compare`, with its help on stdout
// and its exit status (2: could not compare) on the error.
func TestRunCompare(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"server", "compare", "-h"}, mapEnv(nil), &out, nil); err != nil {
		t.Fatalf("compare -h: %v", err)
	}
	if !strings.Contains(out.String(), "usage: server compare") {
		t.Errorf("compare -h printed %q", out.String())
	}
	err := run(t.Context(), []string{"server", "compare", "--legacy", "http://127.0.0.1:1"}, mapEnv(nil), &out, nil)
	var ec interface{ ExitCode() int }
	if !errors.As(err, &ec) || ec.ExitCode() != 2 || !strings.Contains(err.Error(), "--new is required") {
		t.Errorf("compare without --new: %v, want exit status 2", err)
	}
}
