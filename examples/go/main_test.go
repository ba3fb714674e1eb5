package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestAgainstTheService runs the example against the real service: it must
// sign up, log in and read every user once, in id order, over several pages.
func TestAgainstTheService(t *testing.T) {
	srv := apptest.Start(t, apptest.Config())
	for i := range 11 {
		srv.SignUp(t, fmt.Sprintf("user%02d", i), fmt.Sprintf("user%02d@example.com", i), "password11")
	}
	got, err := run(t.Context(), srv.URL+"/graphql", 4)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	rows, err := srv.Pool.Query(t.Context(), `SELECT username FROM "user" ORDER BY user_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	if len(want) != 12 || !strings.HasPrefix(want[11], "go_") {
		t.Fatalf("the database holds %v, want the 11 users and the example's", want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("the example read %v, want %v", got, want)
	}
}
