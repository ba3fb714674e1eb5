package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/clientip"
	"users/internal/config"
	"users/internal/ratelimit"
	"users/internal/secevent"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tokens := newTokens(t, time.Hour, key)
	alice := auth.Session{Principal: auth.Principal{UserID: 1, SID: "7403160892"}}
	bob := auth.Session{Principal: auth.Principal{UserID: 2, SID: "7403160892"}}
	token := issue(t, tokens, alice.SID)

	tests := []struct {
		name       string
		header     []string // Authorization values; nil: none
		rows       []auth.Session
		lookupErr  error
		wantLookup bool // the session lookup runs (the token was valid)
		wantUser   *auth.Principal
		wantCode   apperr.Code
	}{
		{name: "no header", wantCode: apperr.Unauthenticated},
		{name: "empty header", header: []string{""}, wantCode: apperr.Unauthenticated},
		{name: "garbage", header: []string{"garbage"}, wantCode: apperr.Unauthenticated},
		{name: "another key", header: []string{issue(t, newTokens(t, time.Hour, newKey(t)), alice.SID)}, rows: []auth.Session{alice}, wantCode: apperr.Unauthenticated},
		{name: "expired", header: []string{mint(t, alice.SID, key, time.Now().Add(-2*time.Hour))}, rows: []auth.Session{alice}, wantCode: apperr.Unauthenticated},
		{name: "zero rows", header: []string{token}, wantLookup: true, wantCode: apperr.Unauthenticated},
		{name: "two rows", header: []string{token}, rows: []auth.Session{alice, bob}, wantLookup: true, wantCode: apperr.Unauthenticated},
		{name: "lookup error", header: []string{token}, lookupErr: errors.New("connection refused"), wantLookup: true, wantCode: apperr.Internal},
		{name: "lookup cancelled", header: []string{token}, lookupErr: context.Canceled, wantLookup: true, wantCode: apperr.Internal},
		{name: "one row", header: []string{token}, rows: []auth.Session{alice}, wantLookup: true, wantUser: &alice.Principal},
		{name: "one row, Bearer", header: []string{"Bearer " + token}, rows: []auth.Session{alice}, wantLookup: true, wantUser: &alice.Principal},
		{name: "one row, bearer and spaces", header: []string{"  bearer   " + token + " "}, rows: []auth.Session{alice}, wantLookup: true, wantUser: &alice.Principal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lookedUp []string
			lookup := func(ctx context.Context, sid string) ([]auth.Session, error) {
				lookedUp = append(lookedUp, sid)
				return tt.rows, tt.lookupErr
			}
			var (
				called bool
				got    auth.Principal
				err    error
			)
			h := auth.Middleware(tokens, lookup, nil, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got, err = auth.PrincipalFrom(r.Context())
				w.WriteHeader(http.StatusTeapot)
			}))
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			if tt.header != nil {
				req.Header["Authorization"] = tt.header
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if !called || rec.Code != http.StatusTeapot {
				t.Fatalf("next handler called = %v, status %d: the middleware must never answer itself", called, rec.Code)
			}
			if wantCalls := map[bool]int{true: 1, false: 0}[tt.wantLookup]; len(lookedUp) != wantCalls {
				t.Errorf("lookups = %q, want %d", lookedUp, wantCalls)
			} else if tt.wantLookup && lookedUp[0] != alice.SID {
				t.Errorf("looked up sid %q, want %q", lookedUp[0], alice.SID)
			}
			if tt.wantUser != nil {
				if err != nil || !reflect.DeepEqual(got, *tt.wantUser) {
					t.Errorf("PrincipalFrom = %+v, %v; want %+v", got, err, *tt.wantUser)
				}
				return
			}
			if code := apperr.CodeOf(err); err == nil || code != tt.wantCode {
				t.Errorf("PrincipalFrom error = %v (code %s), want code %s", err, code, tt.wantCode)
			}
			if !reflect.DeepEqual(got, auth.Principal{}) {
				t.Errorf("PrincipalFrom = %+v alongside an error, want the zero principal", got)
			}
		})
	}
}

func TestWithPrincipal(t *testing.T) {
	p := auth.Principal{UserID: 7, SID: "abc"}
	got, err := auth.PrincipalFrom(auth.WithPrincipal(context.Background(), p))
	if err != nil || got != p {
		t.Errorf("PrincipalFrom(WithPrincipal(p)) = %+v, %v; want %+v", got, err, p)
	}
	if _, err := auth.PrincipalFrom(context.Background()); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("PrincipalFrom(empty context) error = %v, want %s", err, apperr.Unauthenticated)
	}
}

// serve runs one request through the middleware from client ip with the
// given Authorization header, and returns what PrincipalFrom said.
func serve(mw func(http.Handler) http.Handler, ip, header string) (auth.Principal, error) {
	var (
		u   auth.Principal
		err error
	)
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err = auth.PrincipalFrom(r.Context())
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req = req.WithContext(clientip.With(req.Context(), ip))
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	return u, err
}

// eventLog is a real secevent.Emitter writing JSON lines to a buffer and
// counting by event and reason.
type eventLog struct {
	buf    bytes.Buffer
	counts map[string]int // "event/reason"
}

func newEventLog() (*eventLog, *secevent.Emitter) {
	l := &eventLog{counts: map[string]int{}}
	em := secevent.New(slog.New(slog.NewJSONHandler(&l.buf, nil)), secevent.NewEmailHasher([]byte("test key")),
		func(event, reason string) { l.counts[event+"/"+reason]++ })
	return l, em
}

// events returns the logged security events.
func (l *eventLog) events(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "security event" {
			out = append(out, m)
		}
	}
	return out
}

// digest is the SHA-256 of a stored legacy token, as the session lookup
// reads it from PostgreSQL.
func digest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// TestMiddlewareLegacyToken: with the legacy key verify-only, a token it
// signed authenticates only as the user's stored legacy token; a freshly
// forged one over the same sid is refused and logged as legacy_mismatch.
func TestMiddlewareLegacyToken(t *testing.T) {
	t.Parallel()
	legacy, fresh := legacyKey(t), newKey(t)
	tokens := newTokens(t, time.Hour, fresh, legacy)
	const sid = "7403160892"
	stored := mint(t, sid, legacy, time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC))
	alice := auth.Session{Principal: auth.Principal{UserID: 1, SID: sid}, LegacyTokenSHA256: digest(stored)}
	loggedOut := alice
	loggedOut.LegacyTokenSHA256 = nil
	other := mint(t, "1027360898", legacy, time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC))

	tests := []struct {
		name   string
		row    auth.Session
		token  string
		ok     bool
		reason string
	}{
		{"the stored token, years old", alice, stored, true, ""},
		{"the stored token, Bearer", alice, "Bearer " + stored, true, ""},
		{"forged now over the same sid", alice, mint(t, sid, legacy, time.Now()), false, secevent.LegacyMismatch},
		{"forged with the stored token's time", alice, mint(t, sid, legacy, time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)), false, secevent.LegacyMismatch},
		{"the stored token, column cleared by logout", loggedOut, stored, false, secevent.LegacyMismatch},
		{"another user's stored token", alice, other, false, secevent.LegacyMismatch},
		{"our own key, column empty", loggedOut, issue(t, tokens, sid), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, events := newEventLog()
			lookup := func(context.Context, string) ([]auth.Session, error) { return []auth.Session{tt.row}, nil }
			u, err := serve(auth.Middleware(tokens, lookup, nil, events), "203.0.113.7", tt.token)
			if tt.ok {
				if err != nil || u.UserID != tt.row.UserID {
					t.Fatalf("PrincipalFrom = %+v, %v; want user %d", u, err, tt.row.UserID)
				}
				if n := len(log.events(t)); n != 0 {
					t.Errorf("%d security events for an accepted token", n)
				}
				return
			}
			if apperr.CodeOf(err) != apperr.Unauthenticated {
				t.Fatalf("PrincipalFrom error = %v, want %s", err, apperr.Unauthenticated)
			}
			evs := log.events(t)
			if len(evs) != 1 || evs[0]["event"] != secevent.TokenRefused || evs[0]["reason"] != tt.reason ||
				evs[0]["client_ip"] != "203.0.113.7" || evs[0]["user_id"] != float64(1) {
				t.Errorf("events = %v, want one token_refused/%s with client_ip and user_id", evs, tt.reason)
			}
			if log.counts[secevent.TokenRefused+"/"+tt.reason] != 1 || len(log.counts) != 1 {
				t.Errorf("counts = %v", log.counts)
			}
			if strings.Contains(log.buf.String(), stored[10:50]) {
				t.Error("the log holds the stored token")
			}
		})
	}
}

// TestMiddlewareThrottle: refused tokens are counted per client address;
// past RATE_LIMIT_TOKEN every token from that address is refused with
// RateLimited without being checked (not even a valid one), while other
// addresses and valid tokens are not counted.
func TestMiddlewareThrottle(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tokens := newTokens(t, time.Hour, key)
	alice := auth.Session{Principal: auth.Principal{UserID: 1, SID: "s-alice"}}
	good := issue(t, tokens, alice.SID)
	var lookups atomic.Int64
	lookup := func(_ context.Context, sid string) ([]auth.Session, error) {
		lookups.Add(1)
		if sid == alice.SID {
			return []auth.Session{alice}, nil
		}
		return nil, nil
	}
	log, events := newEventLog()
	limiter := ratelimit.New(ratelimit.Options{Token: config.Rate{Count: 3, Window: time.Minute}, Events: events})
	mw := auth.Middleware(tokens, lookup, limiter, events)

	// Valid tokens are not counted.
	for range 10 {
		if _, err := serve(mw, "203.0.113.7", good); err != nil {
			t.Fatalf("valid token: %v", err)
		}
	}
	// Three refused tokens of three kinds, then the address is over.
	for _, bad := range []string{"garbage", issue(t, newTokens(t, time.Hour, newKey(t)), alice.SID), issue(t, tokens, "no-such-sid")} {
		if _, err := serve(mw, "203.0.113.7", bad); apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("bad token: %v, want %s", err, apperr.Unauthenticated)
		}
	}
	before := lookups.Load()
	for _, tok := range []string{good, "garbage", good} {
		_, err := serve(mw, "203.0.113.7", tok)
		var e *apperr.Error
		if !errors.As(err, &e) || e.Code != apperr.RateLimited || e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
			t.Fatalf("over the limit: %v, want RATE_LIMITED with a Retry-After", err)
		}
	}
	if n := lookups.Load() - before; n != 0 {
		t.Errorf("%d session lookups while over the limit, want 0 (tokens not checked)", n)
	}
	// Another address (and a request without a token) is unaffected.
	if u, err := serve(mw, "198.51.100.9", good); err != nil || u.UserID != 1 {
		t.Errorf("another address: %v", err)
	}
	if _, err := serve(mw, "203.0.113.7", ""); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("no token: %v, want %s", err, apperr.Unauthenticated)
	}

	want := map[string]int{
		"token_refused/malformed": 1, "token_refused/forged": 1, "token_refused/revoked": 1, "rate_limited/token": 3,
	}
	if !reflect.DeepEqual(log.counts, want) {
		t.Errorf("event counts = %v, want %v", log.counts, want)
	}
	if n := len(log.events(t)); n != 6 {
		t.Errorf("%d events logged, want 6 (one per refusal)", n)
	}
}
