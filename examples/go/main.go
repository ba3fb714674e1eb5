// Command example is a typed Go client of the users service, built with
// genqlient (go generate writes generated.go from operations.graphql and
// the service's schema): it signs up, logs in and pages through every user.
//
//	go run . -url http://localhost:5000/graphql
//
// It is a module of its own: a client needs nothing of the service's code.
// (Its test runs it against the real service, which is what the replace in
// go.mod is for.)
package main

//go:generate go tool genqlient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	"github.com/Khan/genqlient/graphql"
)

func main() {
	url := flag.String("url", "http://localhost:5000/graphql", "the service's GraphQL endpoint")
	pageSize := flag.Int("page", 50, "users per page (at most 100)")
	flag.Parse()
	users, err := run(context.Background(), *url, *pageSize)
	if err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
	for _, u := range users {
		fmt.Println(u)
	}
}

// run signs up a new user, logs in, and returns every user's name, in id
// order, read a page at a time.
func run(ctx context.Context, url string, pageSize int) ([]string, error) {
	suffix := randomSuffix()
	email, password := "go_"+suffix+"@example.com", "gopherpass1"
	anon := graphql.NewClient(url, http.DefaultClient)
	if _, err := SignUp(ctx, anon, CreateUserInput{Username: "go_" + suffix, Email: email, Password: password}); err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	login, err := LogIn(ctx, anon, email, password)
	if err != nil {
		return nil, fmt.Errorf("log in: %w", err)
	}
	client := graphql.NewClient(url, &http.Client{Transport: bearer{login.Login.Token, http.DefaultTransport}})

	var names []string
	var after *string // nil: from the start
	for {
		page, err := UsersPage(ctx, client, pageSize, after)
		if err != nil {
			return nil, fmt.Errorf("users after %v: %w", after, err)
		}
		for _, u := range page.Users.Nodes {
			names = append(names, u.Username)
		}
		if !page.Users.PageInfo.HasNextPage {
			return names, nil
		}
		if page.Users.PageInfo.EndCursor == nil {
			return nil, errors.New("hasNextPage without an endCursor")
		}
		after = page.Users.PageInfo.EndCursor
	}
}

// bearer sends the token in Authorization with every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
