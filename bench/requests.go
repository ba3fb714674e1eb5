package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The requests the workloads send, each with the check of a good answer, and
// the single requests the bench needs (a login for the token, a check that a
// server answers the expected list before it is measured).

// login logs seeded user n in through GraphQL and returns the token.
func (b *bench) login(ctx context.Context, n int) (string, error) {
	status, body, err := fetch(ctx, b.loginRequest(func(int, int) int { return n }))
	if err != nil {
		return "", err
	}
	var r struct {
		Data struct{ Login struct{ Token string } }
	}
	if err := json.Unmarshal(body, &r); err != nil || status != 200 || r.Data.Login.Token == "" {
		return "", fmt.Errorf("login: %d %s", status, body)
	}
	return r.Data.Login.Token, nil
}

const loginQuery = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { token } }`

// loginRequest is the GraphQL login of seeded user number user(worker, i).
func (b *bench) loginRequest(user func(worker, i int) int) request {
	return request{
		method: http.MethodPost,
		url:    b.ours.base + "/graphql",
		header: http.Header{"Content-Type": {"application/json"}},
		body: func(w, i int) []byte {
			body, _ := json.Marshal(map[string]any{
				"query":     loginQuery,
				"variables": map[string]any{"email": email(user(w, i)), "password": benchPassword},
			})
			return body
		},
		ok: func(body []byte) bool { return strings.Contains(string(body), `"token":"`) },
	}
}

// restList is the legacy GET /v1/users on base, with ?limit= when limit > 0.
// The limit server takes no token.
func restList(base, token string, limit int) request {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", token)
	}
	u := base + "/v1/users"
	if limit > 0 {
		u += "?limit=" + strconv.Itoa(limit)
	}
	return request{method: http.MethodGet, url: u, header: h, ok: envelopeOK}
}

// envelopeOK accepts a legacy envelope with meta code 200.
func envelopeOK(body []byte) bool {
	s := string(body[:min(len(body), 40)])
	return strings.HasPrefix(strings.ReplaceAll(s, " ", ""), `{"meta":{"code":200`)
}

const usersQuery = `query Users($first: Int, $after: String) { users(first: $first, after: $after) { nodes { id username email info created modified } pageInfo { hasNextPage endCursor } } }`

// graphqlUsers is users(first: first, after: after(worker, i)); after may be
// nil.
func (b *bench) graphqlUsers(first int, after func(worker, i int) string) request {
	fixed, _ := json.Marshal(map[string]any{"query": usersQuery, "variables": map[string]any{"first": first}})
	return request{
		method: http.MethodPost,
		url:    b.ours.base + "/graphql",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {b.token}},
		body: func(w, i int) []byte {
			if after == nil {
				return fixed
			}
			body, _ := json.Marshal(map[string]any{"query": usersQuery, "variables": map[string]any{"first": first, "after": after(w, i)}})
			return body
		},
		ok: func(body []byte) bool {
			return strings.HasPrefix(string(body), `{"data":{"users":{"nodes":[{`) && !strings.Contains(string(body), `"errors"`)
		},
	}
}

// checkPair checks one answer of ours and one of the limit, each holding
// want users, before a workload's runs.
func checkPair(ctx context.Context, name string, ours, limit request, want int) error {
	if err := check(ctx, name+" ours", ours, want); err != nil {
		return err
	}
	return check(ctx, name+" limit", limit, want)
}

// check sends req once and verifies the answer holds want users.
func check(ctx context.Context, what string, req request, want int) error {
	status, body, err := fetch(ctx, req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	var v struct {
		Data json.RawMessage `json:"data"`
	}
	if status != 200 || json.Unmarshal(body, &v) != nil {
		return fmt.Errorf("%s: %d %.300s", what, status, body)
	}
	var list []json.RawMessage
	if json.Unmarshal(v.Data, &list) != nil {
		var g struct {
			Users struct{ Nodes []json.RawMessage }
		}
		if err := json.Unmarshal(v.Data, &g); err != nil {
			return fmt.Errorf("%s: %.300s", what, body)
		}
		list = g.Users.Nodes
	}
	if len(list) != want || (req.ok != nil && !req.ok(body)) {
		return fmt.Errorf("%s: %d users (want %d): %.300s", what, len(list), want, body)
	}
	return nil
}
