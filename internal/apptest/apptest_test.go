package apptest_test

import (
	"testing"

	"users/internal/apptest"
)

func TestListenAddr(t *testing.T) {
	for _, c := range []struct{ log, want string }{
		{"time=2026-01-01T00:00:00Z level=INFO msg=migrated applied=0\ntime=2026-01-01T00:00:00Z level=INFO msg=listening addr=[::]:41234 env=local\n", "[::]:41234"},
		{`{"time":"2026-01-01T00:00:00Z","level":"INFO","msg":"listening","addr":"[::]:5000","env":"live"}` + "\n", "[::]:5000"},
		{"level=INFO msg=\"metrics listening\" addr=127.0.0.1:9\nlevel=INFO msg=listening addr=0.0.0.0:80\n", "0.0.0.0:80"},
	} {
		if got, ok := apptest.ListenAddr(c.log); !ok || got != c.want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q", c.log, got, ok, c.want)
		}
	}
	for _, log := range []string{
		"level=INFO msg=migrated addr=[::]:1\n",
		`{"msg":"pprof listening","addr":"127.0.0.1:6060"}` + "\n",
		"",
	} {
		if got, ok := apptest.ListenAddr(log); ok {
			t.Errorf("ListenAddr took %q from %q, which has no `listening` line", got, log)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		"[::]:41234":     "http://127.0.0.1:41234",
		"0.0.0.0:80":     "http://127.0.0.1:80",
		":5000":          "http://127.0.0.1:5000",
		"127.0.0.1:6060": "http://127.0.0.1:6060",
		"[::1]:6060":     "http://[::1]:6060",
		"":               "",
	} {
		if got := apptest.BaseURL(addr); got != want {
			t.Errorf("BaseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
