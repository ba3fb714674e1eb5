package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"users/db"
	"users/internal/apperr"
	"users/internal/auth"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	tokens := newTokens(t, time.Hour, key)
	alice := db.User{UserID: 1, Username: "alice", Email: "alice1@gmail.com", SID: "7403160892"}
	bob := db.User{UserID: 2, Username: "bob.smith", Email: "bob.smith@mail.co", SID: "7403160892"}
	token := issue(t, tokens, alice.SID)

	tests := []struct {
		name       string
		header     []string // Authorization values; nil: none
		rows       []db.User
		lookupErr  error
		wantLookup bool // the session lookup runs (the token was valid)
		wantUser   *db.User
		wantCode   apperr.Code
	}{
		{name: "no header", wantCode: apperr.Unauthenticated},
		{name: "empty header", header: []string{""}, wantCode: apperr.Unauthenticated},
		{name: "garbage", header: []string{"garbage"}, wantCode: apperr.Unauthenticated},
		{name: "another key", header: []string{issue(t, newTokens(t, time.Hour, newKey(t)), alice.SID)}, rows: []db.User{alice}, wantCode: apperr.Unauthenticated},
		{name: "expired", header: []string{mint(t, alice.SID, key, time.Now().Add(-2*time.Hour))}, rows: []db.User{alice}, wantCode: apperr.Unauthenticated},
		{name: "zero rows", header: []string{token}, wantLookup: true, wantCode: apperr.Unauthenticated},
		{name: "two rows", header: []string{token}, rows: []db.User{alice, bob}, wantLookup: true, wantCode: apperr.Unauthenticated},
		{name: "lookup error", header: []string{token}, lookupErr: errors.New("connection refused"), wantLookup: true, wantCode: apperr.Internal},
		{name: "lookup cancelled", header: []string{token}, lookupErr: context.Canceled, wantLookup: true, wantCode: apperr.Internal},
		{name: "one row", header: []string{token}, rows: []db.User{alice}, wantLookup: true, wantUser: &alice},
		{name: "one row, Bearer", header: []string{"Bearer " + token}, rows: []db.User{alice}, wantLookup: true, wantUser: &alice},
		{name: "one row, bearer and spaces", header: []string{"  bearer   " + token + " "}, rows: []db.User{alice}, wantLookup: true, wantUser: &alice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lookedUp []string
			lookup := func(ctx context.Context, sid string) ([]db.User, error) {
				lookedUp = append(lookedUp, sid)
				return tt.rows, tt.lookupErr
			}
			var (
				called bool
				got    db.User
				err    error
			)
			h := auth.Middleware(tokens, lookup)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got, err = auth.UserFrom(r.Context())
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
					t.Errorf("UserFrom = %+v, %v; want %+v", got, err, *tt.wantUser)
				}
				return
			}
			if code := apperr.CodeOf(err); err == nil || code != tt.wantCode {
				t.Errorf("UserFrom error = %v (code %s), want code %s", err, code, tt.wantCode)
			}
			if !reflect.DeepEqual(got, db.User{}) {
				t.Errorf("UserFrom user = %+v alongside an error, want the zero user", got)
			}
		})
	}
}

func TestWithUser(t *testing.T) {
	u := db.User{UserID: 7, Username: "grace", SID: "abc"}
	got, err := auth.UserFrom(auth.WithUser(context.Background(), u))
	if err != nil || !reflect.DeepEqual(got, u) {
		t.Errorf("UserFrom(WithUser(u)) = %+v, %v; want %+v", got, err, u)
	}
	if _, err := auth.UserFrom(context.Background()); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("UserFrom(empty context) error = %v, want %s", err, apperr.Unauthenticated)
	}
}
