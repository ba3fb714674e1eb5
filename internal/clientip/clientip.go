// Package clientip works out the address of the client behind a request, for
// rate limits and logs, without trusting what the client itself claims.
//
// Each reverse proxy in front of the service appends the address it received
// the request from to X-Forwarded-For. Only the entries appended by proxies we
// run are trustworthy; everything to their left was sent by the client and may
// be forged. So the client is the entry that the outermost trusted proxy
// appended: the Nth from the right, with N the number of trusted proxies
// (TRUSTED_PROXIES; Heroku's router is one). With N = 0 the header is ignored
// and the client is the peer of the TCP connection. This is why chi's RealIP
// middleware, which believes the leftmost entry, is not used.
package clientip

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type ctxKey struct{}

// Middleware stores the client address of each request in its context, for
// From. trustedProxies is the number of reverse proxies in front of the
// service that append to X-Forwarded-For (0: ignore the header).
func Middleware(trustedProxies int) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := Resolve(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trustedProxies)
			next.ServeHTTP(w, r.WithContext(With(r.Context(), ip)))
		})
	}
}

// With returns a context in which From returns ip (for callers outside HTTP,
// and tests).
func With(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ctxKey{}, ip)
}

// From returns the client address that Middleware found, in canonical form
// ("203.0.113.7", "2001:db8::1"), or "" when the middleware did not run or the
// connection has no IP address (a Unix socket).
func From(ctx context.Context) string {
	ip, _ := ctx.Value(ctxKey{}).(string)
	return ip
}

// Resolve returns the client address of a request that arrived from
// remoteAddr with the given X-Forwarded-For header values, behind trusted
// proxies. The header's values are read as one comma-separated list, in
// order. With trusted = N > 0 the client is the Nth entry from the right; when
// the list is shorter than N or that entry is not an IP address (with or
// without a port), the request did not come through the proxies as
// configured, and the peer address is used instead.
func Resolve(remoteAddr string, xff []string, trusted int) string {
	peer := parse(remoteAddr)
	if trusted <= 0 || len(xff) == 0 {
		return peer
	}
	entries := strings.Split(strings.Join(xff, ","), ",")
	if len(entries) < trusted {
		return peer
	}
	if ip := parse(entries[len(entries)-trusted]); ip != "" {
		return ip
	}
	return peer
}

// parse reads an address with or without a port ("1.2.3.4", "1.2.3.4:80",
// "::1", "[::1]", "[::1]:80") and returns it in canonical form, IPv4-mapped IPv6
// addresses as IPv4 and without a zone; "" if s is no IP address.
func parse(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 { // the longest IPv6 text with a port and zone is well below
		return ""
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1] // "[::1]" without a port
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		host, _, splitErr := net.SplitHostPort(s)
		if splitErr != nil {
			return ""
		}
		if addr, err = netip.ParseAddr(host); err != nil {
			return ""
		}
	}
	return addr.Unmap().WithZone("").String()
}
