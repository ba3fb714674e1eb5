package app_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/fernet/fernet-go"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/config"
)

// TestCoexistenceKeys: LEGACY_COEXISTENCE starts only with the legacy key
// verify-only (after a key of ours), says so at start, and otherwise refuses
// with the setting named, whatever built the configuration.
func TestCoexistenceKeys(t *testing.T) {
	t.Parallel()
	pool := unreachablePool(t) // New connects to nothing
	fresh := fernet.MustDecodeKeys(apptest.NewKey(t))[0]
	legacy := fernet.MustDecodeKeys(config.LegacyKey)[0]
	tests := []struct {
		name string
		keys []*fernet.Key
		ok   bool
	}{
		{"legacy key verify-only", []*fernet.Key{fresh, legacy}, true},
		{"legacy key alone (the local default)", []*fernet.Key{legacy}, false},
		{"legacy key first", []*fernet.Key{legacy, fresh}, false},
		{"no legacy key", []*fernet.Key{fresh}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := apptest.Config()
			cfg.Keys = tt.keys
			cfg.LegacyCoexistence = true
			var logs bytes.Buffer
			_, err := app.New(slog.New(slog.NewJSONHandler(&logs, nil)), cfg, pool, nil)
			if tt.ok != (err == nil) {
				t.Fatalf("app.New: %v, want ok %v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "LEGACY_COEXISTENCE") {
				t.Errorf("error %q does not name LEGACY_COEXISTENCE", err)
			}
			if warned := strings.Contains(logs.String(), "legacy coexistence on"); warned != tt.ok {
				t.Errorf("start-up warning logged: %v, want %v", warned, tt.ok)
			}
		})
	}
}
