package faults

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSIGKILLDuringSignUps: a replica behind the pooler is killed (SIGKILL:
// no shutdown, as the OOM killer or a lost node does) in the middle of a
// stream of sign-ups. Every user in the database is whole (a sign-up is one
// INSERT, so it is there entirely or not at all), every sign-up that was
// answered 200 is there, and the clients' retries on another replica all
// end well: 200, or the duplicate error (77) for a sign-up that had been
// committed just before the kill, after which its login works.
func TestSIGKILLDuringSignUps(t *testing.T) {
	needInfra(t)
	db := newDatabase(t)
	env := []string{"DATABASE_URL=" + db.pooled, "DATABASE_DIRECT_URL=" + db.direct}
	victim := startReplica(t, env...)
	ctx := t.Context()

	const workers, each = 8, 40
	var (
		mu       sync.Mutex
		answered = map[string]bool{} // email -> answered 200
		sent     []string
		oks      atomic.Int64
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				email := fmt.Sprintf("kill-%d-%d@example.com", w, i)
				mu.Lock()
				sent = append(sent, email)
				mu.Unlock()
				status, code, err := victim.signUp(ctx, email)
				if err != nil {
					return // the replica is gone
				}
				if status != 200 || code != 200 {
					t.Errorf("sign-up %s before the kill: %d/%d", email, status, code)
					return
				}
				mu.Lock()
				answered[email] = true
				mu.Unlock()
				oks.Add(1)
			}
		})
	}
	for oks.Load() < 30 {
		time.Sleep(time.Millisecond)
	}
	if err := victim.Cmd.Process.Kill(); err != nil { // SIGKILL, to our own child
		t.Fatal(err)
	}
	wg.Wait()
	if len(answered) == len(sent) {
		t.Fatalf("every sign-up was answered (%d): the kill came too late to test anything", len(sent))
	}

	conn, err := pgx.Connect(ctx, db.direct)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var total, whole int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE username <> '' AND email LIKE 'kill-%'
			AND password LIKE '$2_$04$%' AND length(password) = 60 AND sid <> '' AND info->>'team' = 'core'
			AND created IS NOT NULL AND modified IS NOT NULL) FROM "user"`).Scan(&total, &whole); err != nil {
		t.Fatal(err)
	}
	if whole != total {
		t.Errorf("%d of %d users are not whole", total-whole, total)
	}
	stored := map[string]bool{}
	rows, err := conn.Query(ctx, `SELECT email FROM "user"`)
	if err != nil {
		t.Fatal(err)
	}
	emails, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		stored[e] = true
	}
	for e := range answered {
		if !stored[e] {
			t.Errorf("%s was answered 200 but is not stored", e)
		}
	}
	t.Logf("%d sign-ups sent, %d answered before the kill, %d stored", len(sent), len(answered), total)

	// The clients retry every sign-up they got no answer for, elsewhere.
	other := startReplica(t, env...)
	retried, duplicates := 0, 0
	for _, e := range sent {
		if answered[e] {
			continue
		}
		retried++
		status, code, err := other.signUp(ctx, e)
		switch {
		case err != nil:
			t.Fatalf("retry %s: %v", e, err)
		case status == http.StatusOK && code == 200:
		case code == 77 && stored[e]:
			duplicates++
		default:
			t.Errorf("retry %s: %d/%d (stored before: %v)", e, status, code, stored[e])
		}
		if _, err := other.login(ctx, e); err != nil {
			t.Errorf("login after the retry: %v", err)
		}
	}
	t.Logf("%d retried, %d of them already stored (duplicate)", retried, duplicates)
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM "user"`).Scan(&total); err != nil || total != len(sent) {
		t.Errorf("users after the retries: %d (%v), want one per email sent, %d", total, err, len(sent))
	}
}
