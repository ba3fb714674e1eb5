package rest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"users/internal/apptest"
)

// seedUsers inserts n users with COPY (one hash for all: the test is about rows).
func seedUsers(t *testing.T, srv *apptest.Server, n int) {
	t.Helper()
	const hash = "$2a$04$18Fot3ud57QfRj46mceJGuezKnPP719k001A70iI9ViAOH6bf0Y.W"
	now := time.Now().UTC()
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("user%06d", i), fmt.Sprintf("user%06d@gmail.com", i), hash, []byte(`{"n": 1}`), fmt.Sprintf("sid%06d", i), now, now}
	}
	_, err := srv.Pool.CopyFrom(t.Context(), pgx.Identifier{"user"},
		[]string{"username", "email", "password", "info", "sid", "created", "modified"}, pgx.CopyFromRows(rows))
	if err != nil {
		t.Fatal(err)
	}
}

// TestStreamUsers100kHeapUnder32MiB lists 100,000 users through GET /v1/users
// and samples the heap while the answer streams: it must stay flat (bounded
// by the batch size), where buffering the list would take well over 100 MiB of
// objects. The answer must still be one valid envelope with every user.
func TestStreamUsers100kHeapUnder32MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 users")
	}
	const users, bound = 100_000, 32 << 20
	srv := apptest.Start(t, apptest.Config())
	seedUsers(t, srv, users-1)
	srv.SignUp(t, "streamer", "streamer@gmail.com", "test1234")
	token := srv.Login(t, "streamer@gmail.com", "test1234")

	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/users", nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := countStreamed(t, resp.Body)
	close(done)

	if n != users {
		t.Errorf("streamed %d users, want %d", n, users)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("heap: base %d MiB, peak growth %.1f MiB while streaming %d users", base>>20, float64(growth)/(1<<20), n)
	if growth > bound {
		t.Errorf("heap grew by %d MiB, want under %d MiB", growth>>20, bound>>20)
	}
}

// countStreamed decodes the envelope token by token (never holding the list)
// and counts the users in data.
func countStreamed(t *testing.T, r io.Reader) int {
	t.Helper()
	dec := json.NewDecoder(r)
	expect := func(want json.Delim) {
		tok, err := dec.Token()
		if err != nil || tok != want {
			t.Fatalf("token %v (%v), want %v", tok, err, want)
		}
	}
	expect('{')
	n := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		switch key {
		case "meta":
			var m struct{ Code int }
			if err := dec.Decode(&m); err != nil || m.Code != 200 {
				t.Fatalf("meta %+v %v", m, err)
			}
		case "data":
			expect('[')
			for dec.More() {
				var u struct{ Username, Email string }
				if err := dec.Decode(&u); err != nil || u.Username == "" {
					t.Fatalf("user %d: %+v %v", n, u, err)
				}
				n++
			}
			expect(']')
		default:
			t.Fatalf("unexpected key %v", key)
		}
	}
	expect('}')
	return n
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
