package app_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/config"
)

func TestMetricsAddrConfig(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{"": true, ":9090": true, "127.0.0.1:9090": true, "[::1]:9090": true, "off": true, "9090": false, "localhost": false} {
		cfg, err := config.Load(func(k string) string { return map[string]string{"METRICS_ADDR": addr}[k] })
		if (err == nil) != ok {
			t.Errorf("METRICS_ADDR=%q: err = %v, want ok %v", addr, err, ok)
		}
		if ok && cfg.MetricsAddr != addr {
			t.Errorf("METRICS_ADDR=%q: MetricsAddr = %q", addr, cfg.MetricsAddr)
		}
	}
}

// scrape fetches url and returns the status and body.
func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetrics runs a few requests through the real service and finds each
// kind of metric in the scrape.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	gql := func(body string) {
		srv.Do(t, http.MethodPost, "/graphql", http.Header{"Content-Type": {"application/json"}}, body)
	}
	gql(`{"query": "mutation SignUp { createUser(input: {username: \"metric\", email: \"metric@gmail.com\", password: \"test1234\"}) { id } }"}`)
	gql(`{"query": "mutation BadLogin { login(email: \"metric@gmail.com\", password: \"wrong1234\") { token } }"}`)
	gql(`{"query": "{ __typename }"}`)
	gql(`{"query": "query Broken { nope }"}`)
	gql(`{"query": "query ` + strings.Repeat("N", 100) + ` { __typename }"}`)
	srv.Do(t, http.MethodGet, "/v1/users/42", nil, "")
	srv.Do(t, http.MethodGet, "/v1/users/43", nil, "")
	srv.Do(t, "BREW", "/coffee", nil, "")

	status, body := scrape(t, srv.URL+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics = %d", status)
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/v1/users/{id}",status="401"} 2`,
		`http_request_duration_seconds_count{method="GET",route="/v1/users/{id}",status="401"} 2`,
		`http_requests_total{method="other",route="unmatched",status="404"} 1`,
		`graphql_operations_total{operation="SignUp",outcome="ok"} 1`,
		`graphql_operations_total{operation="BadLogin",outcome="error"} 1`,
		`graphql_operations_total{operation="anonymous",outcome="ok"} 1`,
		`graphql_operations_total{operation="Broken",outcome="error"} 1`,
		`graphql_operations_total{operation="` + strings.Repeat("N", 64) + `",outcome="ok"} 1`,
		fmt.Sprintf("pgxpool_max_conns %d", srv.Pool.Config().MaxConns),
		"pgxpool_acquired_conns ",
		"pgxpool_acquires_total ",
		"pgxpool_empty_acquires_total ",
		"bcrypt_in_flight 0",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(body, "/v1/users/42") {
		t.Errorf("a raw path became a label")
	}
}

// TestMetricsPlacement checks where /metrics is served: on the public router
// outside live unless METRICS_ADDR says otherwise; never there in live.
func TestMetricsPlacement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env, addr string
		public    bool
	}{
		{config.EnvLocal, "", true},
		{config.EnvDev, "", true},
		{config.EnvLive, "", false},
		{config.EnvLocal, "off", false},
		{config.EnvLive, "off", false},
		{config.EnvLocal, "127.0.0.1:0", false},
		{config.EnvLive, "127.0.0.1:0", false},
	} {
		t.Run(tc.env+" "+tc.addr, func(t *testing.T) {
			t.Parallel()
			cfg := apptest.Config()
			cfg.Env, cfg.MetricsAddr = tc.env, tc.addr
			srv := apptest.Start(t, cfg)
			status, body := scrape(t, srv.URL+"/metrics")
			switch {
			case tc.public && (status != http.StatusOK || !strings.Contains(body, "go_goroutines")):
				t.Errorf("public /metrics = %d, want the metrics", status)
			case !tc.public && (status != http.StatusNotFound || !strings.Contains(body, `"code": 10`)):
				t.Errorf("public /metrics = %d %.80s, want the legacy 404 (code 10)", status, body)
			}
			if tc.addr == "" || tc.addr == "off" {
				if srv.MetricsURL != "" {
					t.Errorf("a metrics listener started at %s", srv.MetricsURL)
				}
				return
			}
			status, body = scrape(t, srv.MetricsURL+"/metrics")
			if status != http.StatusOK || !strings.Contains(body, "pgxpool_max_conns") {
				t.Errorf("METRICS_ADDR /metrics = %d, want the metrics", status)
			}
		})
	}
}
