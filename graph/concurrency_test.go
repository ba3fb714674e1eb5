package graph_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"users/internal/apptest"
)

// race runs f(i) for i in [0, n) on n goroutines released at the same moment,
// and returns the results in order.
func race[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

type outcome struct {
	r   apptest.GraphQLResponse
	err error
}

func TestConcurrentCreateUser(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	const calls, emails = 40, 8

	results := race(calls, func(i int) outcome {
		r, err := srv.PostGraphQL(t.Context(), "", createUserMutation, map[string]any{"in": map[string]any{
			"username": fmt.Sprintf("racer%02d", i),
			"email":    fmt.Sprintf("racer%d@example.com", i%emails),
			"password": fmt.Sprintf("racerpass%02d", i),
		}})
		return outcome{r, err}
	})

	created := map[string]int{} // email -> successful calls
	duplicates := 0
	for i, res := range results {
		if res.err != nil {
			t.Errorf("call %d: %v", i, res.err)
			continue
		}
		switch code := res.r.Code(); code {
		case "":
			var out struct{ CreateUser user }
			if err := json.Unmarshal(res.r.Data, &out); err != nil {
				t.Errorf("call %d: %v", i, err)
			}
			created[out.CreateUser.Email]++
		case codeDuplicate:
			duplicates++
			if got, _ := res.r.Errors[0].Extensions["legacyCode"].(float64); got != 77 {
				t.Errorf("call %d: legacyCode = %v, want 77", i, res.r.Errors[0].Extensions["legacyCode"])
			}
		default:
			t.Errorf("call %d: extensions.code = %q, want success or %s; errors: %+v", i, code, codeDuplicate, res.r.Errors)
		}
	}
	if len(created) != emails || duplicates != calls-emails {
		t.Errorf("%d emails created, %d duplicates; want %d and %d", len(created), duplicates, emails, calls-emails)
	}
	for email, n := range created {
		if n != 1 {
			t.Errorf("%s created by %d calls, want 1", email, n)
		}
	}

	rows, err := srv.Pool.Query(t.Context(), `SELECT email, count(*) FROM "user" GROUP BY email ORDER BY email`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var email string
		var n int
		if err := rows.Scan(&email, &n); err != nil {
			t.Fatal(err)
		}
		stored[email] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stored) != emails {
		t.Errorf("%d emails stored, want %d: %v", len(stored), emails, stored)
	}
	for i := range emails {
		if email := fmt.Sprintf("racer%d@example.com", i); stored[email] != 1 {
			t.Errorf("%s stored %d times, want 1", email, stored[email])
		}
	}
}

func TestConcurrentLogin(t *testing.T) {
	t.Parallel()

	t.Run("same user", func(t *testing.T) {
		srv := apptest.Start(t, apptest.Config())
		want := signUp(t, srv, "popular", "popular@example.com", "popularpw1")
		const calls = 20

		results := race(calls, func(int) outcome {
			r, err := srv.PostGraphQL(t.Context(), "", loginMutation, map[string]any{"e": "popular@example.com", "p": "popularpw1"})
			return outcome{r, err}
		})
		tokens := map[string]bool{}
		for i, res := range results {
			if res.err != nil || len(res.r.Errors) > 0 {
				t.Errorf("login %d: %v %+v", i, res.err, res.r.Errors)
				continue
			}
			var out struct{ Login struct{ Token string } }
			if err := json.Unmarshal(res.r.Data, &out); err != nil {
				t.Fatal(err)
			}
			tokens[out.Login.Token] = true
		}
		if len(tokens) != calls {
			t.Errorf("%d distinct tokens from %d logins", len(tokens), calls)
		}
		for token := range tokens {
			var me struct{ Me user }
			srv.GraphQL(t, token, meQuery, nil).Decode(t, &me)
			if me.Me.ID != want.ID {
				t.Errorf("me = %s, want %s", me.Me.ID, want.ID)
			}
		}
	})

	t.Run("while the hash is upgraded", func(t *testing.T) {
		// Every login sees a hash below the configured cost and upgrades it; the
		// upgrades must not break the password for any of them or afterwards.
		cfg := apptest.Config()
		cfg.BcryptCost = 5
		srv := apptest.Start(t, cfg)
		const email, password = "upgrade@example.com", "upgradepw1"
		old, err := bcrypt.GenerateFromPassword([]byte(password), 4)
		if err != nil {
			t.Fatal(err)
		}
		insertUser(t, srv.Pool, "upgrade", email, string(old), "2222222222")

		results := race(12, func(int) outcome {
			r, err := srv.PostGraphQL(t.Context(), "", loginMutation, map[string]any{"e": email, "p": password})
			return outcome{r, err}
		})
		for i, res := range results {
			if res.err != nil || len(res.r.Errors) > 0 {
				t.Errorf("login %d: %v %+v", i, res.err, res.r.Errors)
			}
		}
		hash := hashOf(t, srv.Pool, email)
		if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != 5 {
			t.Errorf("cost = %d (%v), want 5", cost, err)
		}
		if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
			t.Errorf("stored hash does not verify the password: %v", err)
		}
		srv.Login(t, email, password)
	})
}
