package app_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
)

// TestBanner checks GET /: the legacy banner names the database host outside
// live (as legacy did, golden 01), and live names no host.
func TestBanner(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	host := pool.Config().ConnConfig.Host
	tests := []struct {
		env      string
		database string
	}{
		{config.EnvLocal, "postgresql (" + host + ")"},
		{config.EnvDev, "postgresql (" + host + ")"},
		{config.EnvLive, "postgresql"},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			cfg := apptest.Config()
			cfg.Env = tt.env
			srv := apptest.StartOn(t, cfg, pool)
			status, _, body := srv.Do(t, http.MethodGet, "/", nil, "")
			var got map[string]string
			if err := json.Unmarshal(body, &got); err != nil || status != http.StatusOK {
				t.Fatalf("GET / = %d %s (%v)", status, body, err)
			}
			want := map[string]string{"server": "Falcon REST API Template", "database": tt.database}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GET / = %v, want %v", got, want)
			}
		})
	}
}
