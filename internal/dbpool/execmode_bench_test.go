package dbpool_test

import (
	"fmt"
	"testing"

	"users/db"
	"users/internal/dbpool"
	"users/internal/testdb"
)

// BenchmarkExecMode is the cost of each query exec mode on the queries of the
// hottest requests, against PostgreSQL directly (a pooler adds its own hop
// whatever the mode): a token's session lookup (GetSessionsBySID, when the
// session cache cannot serve it) and a page of 20 users (ListUserPage, the
// REST list's and GraphQL users' read). Compare the modes as ratios:
//
//	go test ./internal/dbpool -run '^$' -bench ExecMode -count 6 | benchstat -col /mode -
func BenchmarkExecMode(b *testing.B) {
	url := testdb.NewURL(b)
	seed, err := dbpool.Open(b.Context(), dbpool.Options{URL: url, MaxConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer seed.Close()
	q := db.New(seed)
	for i := range 20 {
		_, err := q.CreateUser(b.Context(), db.CreateUserParams{
			Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("user%d@example.com", i),
			PasswordHash: "$2a$04$notarealhashnotarealhashnotarealhashnotarealhashnotar",
			Info:         []byte(`{"team": "core"}`), SID: fmt.Sprintf("sid%d", i),
		})
		if err != nil {
			b.Fatal(err)
		}
	}

	for _, mode := range []string{"cache_statement", "cache_describe"} {
		pool, err := dbpool.Open(b.Context(), dbpool.Options{URL: url, MaxConns: 1, ExecMode: mode})
		if err != nil {
			b.Fatal(err)
		}
		q := db.New(pool)
		b.Run("mode="+mode+"/query=GetSessionsBySID", func(b *testing.B) {
			for b.Loop() {
				if users, err := q.GetSessionsBySID(b.Context(), "sid7"); err != nil || len(users) != 1 {
					b.Fatal(users, err)
				}
			}
		})
		b.Run("mode="+mode+"/query=ListUserPage", func(b *testing.B) {
			for b.Loop() {
				users, err := q.ListUserPage(b.Context(), db.ListUserPageParams{MaxRows: 20, MaxInfoBytes: 1 << 20})
				if err != nil || len(users) != 20 {
					b.Fatal(len(users), err)
				}
			}
		})
		pool.Close()
	}
}
