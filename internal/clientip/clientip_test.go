package clientip_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"users/internal/clientip"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	const peer = "10.1.2.3:54321" // the proxy (or the client, with no proxy)
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted int
		want    string
	}{
		// No proxy: the header is the client's to forge, so it is ignored.
		{"no proxy, no header", peer, nil, 0, "10.1.2.3"},
		{"no proxy ignores header", peer, []string{"1.1.1.1"}, 0, "10.1.2.3"},
		{"no proxy ignores chain", peer, []string{"1.1.1.1, 2.2.2.2"}, 0, "10.1.2.3"},
		{"negative count is no proxy", peer, []string{"1.1.1.1"}, -1, "10.1.2.3"},

		// One proxy (Heroku): it appends the client's address last.
		{"one proxy", peer, []string{"203.0.113.7"}, 1, "203.0.113.7"},
		{"one proxy, spoofed entries to the left", peer, []string{"1.1.1.1, 127.0.0.1, 203.0.113.7"}, 1, "203.0.113.7"},
		{"one proxy, spoofed header line before the proxy's", peer, []string{"1.1.1.1", "203.0.113.7"}, 1, "203.0.113.7"},
		{"one proxy, spoofed header appended to by proxy", peer, []string{"1.1.1.1,203.0.113.7"}, 1, "203.0.113.7"},
		{"one proxy, client trailing comma", peer, []string{"1.1.1.1,, 203.0.113.7"}, 1, "203.0.113.7"},
		{"one proxy, spaces", peer, []string{"  203.0.113.7  "}, 1, "203.0.113.7"},
		{"one proxy, with port", peer, []string{"203.0.113.7:4711"}, 1, "203.0.113.7"},
		{"one proxy, IPv6", peer, []string{"2001:db8::1"}, 1, "2001:db8::1"},
		{"one proxy, IPv6 bracketed", peer, []string{"[2001:db8::1]"}, 1, "2001:db8::1"},
		{"one proxy, IPv6 with port", peer, []string{"[2001:db8::1]:443"}, 1, "2001:db8::1"},
		{"one proxy, IPv6 canonical form", peer, []string{"2001:DB8:0:0:0:0:0:1"}, 1, "2001:db8::1"},
		{"one proxy, IPv4-mapped IPv6", peer, []string{"::ffff:203.0.113.7"}, 1, "203.0.113.7"},
		{"one proxy, zone dropped", peer, []string{"fe80::1%eth0"}, 1, "fe80::1"},

		// Two proxies (a CDN, then a load balancer): the client is second from the right.
		{"two proxies", peer, []string{"203.0.113.7, 198.51.100.2"}, 2, "203.0.113.7"},
		{"two proxies, spoofed to the left", peer, []string{"6.6.6.6, 7.7.7.7, 203.0.113.7, 198.51.100.2"}, 2, "203.0.113.7"},
		{"two proxies, across header lines", peer, []string{"6.6.6.6, 203.0.113.7", "198.51.100.2"}, 2, "203.0.113.7"},

		// Requests that did not come through the proxies as configured, or with
		// garbage where the client's address should be: the peer address.
		{"one proxy, no header", peer, nil, 1, "10.1.2.3"},
		{"one proxy, empty header", peer, []string{""}, 1, "10.1.2.3"},
		{"two proxies, chain too short", peer, []string{"203.0.113.7"}, 2, "10.1.2.3"},
		{"malformed entry", peer, []string{"1.1.1.1, not-an-ip"}, 1, "10.1.2.3"},
		{"unknown entry", peer, []string{"unknown"}, 1, "10.1.2.3"},
		{"obfuscated entry", peer, []string{"_hidden"}, 1, "10.1.2.3"},
		{"hostname entry", peer, []string{"example.com"}, 1, "10.1.2.3"},
		{"empty entry", peer, []string{"1.1.1.1,"}, 1, "10.1.2.3"},
		{"SQL in entry", peer, []string{"1.1.1.1' OR '1'='1"}, 1, "10.1.2.3"},
		{"overlong entry", peer, []string{strings.Repeat("1", 10000)}, 1, "10.1.2.3"},
		{"control characters", peer, []string{"1.1.1.1\x00"}, 1, "10.1.2.3"},
		{"invalid UTF-8", peer, []string{"\xff\xfe"}, 1, "10.1.2.3"},
		{"CIDR is no address", peer, []string{"203.0.113.0/24"}, 1, "10.1.2.3"},

		// The peer address itself.
		{"IPv6 peer", "[2001:db8::2]:443", nil, 0, "2001:db8::2"},
		{"peer without port", "192.0.2.1", nil, 0, "192.0.2.1"},
		{"unix socket peer", "@", nil, 0, ""},
		{"no peer", "", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientip.Resolve(tt.remote, tt.xff, tt.trusted); got != tt.want {
				t.Errorf("Resolve(%q, %q, %d) = %q, want %q", tt.remote, tt.xff, tt.trusted, got, tt.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	var got string
	h := clientip.Middleware(1)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = clientip.From(r.Context())
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.9:1234"
	req.Header.Add("X-Forwarded-For", "1.2.3.4")     // sent by the client
	req.Header.Add("X-Forwarded-For", "203.0.113.7") // appended by the proxy
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got != "203.0.113.7" {
		t.Errorf("From = %q, want 203.0.113.7", got)
	}
}

func TestFrom(t *testing.T) {
	t.Parallel()
	if got := clientip.From(context.Background()); got != "" {
		t.Errorf("From without middleware = %q, want empty", got)
	}
	if got := clientip.From(clientip.With(context.Background(), "192.0.2.1")); got != "192.0.2.1" {
		t.Errorf("From(With) = %q", got)
	}
}
