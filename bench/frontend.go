package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"users/graph/model"
)

// W6 and W7: what a frontend asks of the service beyond W2's page, each
// against the limit server doing the same database work.

// w6 is GraphQL users(first: 100), the largest page, against the limit's
// 100-row list: where W2 weighs the cost per request, W6 weighs the cost
// per user of a GraphQL answer.
func (b *bench) w6(ctx context.Context) error {
	if err := b.seedThousand(ctx); err != nil {
		return err
	}
	ours, limit := b.graphqlUsers(100, nil), restList(b.limit.base, "", 100)
	if err := checkPair(ctx, "W6", ours, limit, 100); err != nil {
		return err
	}
	b.pair(ctx, "W6", "W6 GraphQL users(first: 100)", ours, limit, b.o.conns, 0.6, false)
	return nil
}

// w7 is a frontend's mix: me, the W2 page and one user by id, in turn, on
// every connection. The limit reads the same rows: one by primary key for me
// and user(id:), the 20-row list for the page.
func (b *bench) w7(ctx context.Context) error {
	if err := b.seedThousand(ctx); err != nil {
		return err
	}
	ours, limit := b.frontendMix(), b.limitMix()
	if err := checkMix(ctx, "W7 ours", ours); err != nil {
		return err
	}
	if err := checkMix(ctx, "W7 limit", limit); err != nil {
		return err
	}
	b.pair(ctx, "W7", "W7 GraphQL mix: me, users(first: 20), user", ours, limit, b.o.conns, 0.6, false)
	return nil
}

// seedThousand brings the table to the 1,000 users of W3, W6 and W7, so each
// may run without the others.
func (b *bench) seedThousand(ctx context.Context) error {
	d, err := b.seed.seedTo(ctx, 1000)
	if err != nil {
		return err
	}
	if d > 0 {
		log("seeded up to 1,000 users in %v", d.Round(time.Millisecond))
	}
	return nil
}

// The three requests of the mix, in the order each connection sends them.
const (
	mixMe = iota
	mixPage
	mixUser
	mixKinds
)

// mixKind is what request i of worker w is. Workers start the rotation at
// different places, so all three kinds are in flight at any moment.
func mixKind(w, i int) int { return (w + i) % mixKinds }

// mixUserID is the user request i of worker w reads: spread over the whole
// table, the same for ours and the limit.
func (b *bench) mixUserID(w, i int) int32 {
	return int32(1 + (w*7919+i*104729)%b.seed.count)
}

const (
	meQuery   = `{ me { id username email } }`
	userQuery = `query User($id: ID!) { user(id: $id) { id username email info created modified } }`
)

// frontendMix is the mix on the service, with the token of seeded user 1.
func (b *bench) frontendMix() request {
	me, _ := json.Marshal(map[string]any{"query": meQuery})
	page, _ := json.Marshal(map[string]any{"query": usersQuery, "variables": map[string]any{"first": 20}})
	return request{
		method: http.MethodPost,
		url:    b.ours.base + "/graphql",
		header: http.Header{"Content-Type": {"application/json"}, "Authorization": {b.token}},
		body: func(w, i int) []byte {
			switch mixKind(w, i) {
			case mixMe:
				return me
			case mixPage:
				return page
			}
			body, _ := json.Marshal(map[string]any{"query": userQuery, "variables": map[string]any{"id": model.UserGlobalID(b.mixUserID(w, i))}})
			return body
		},
		ok: func(body []byte) bool {
			s := string(body)
			// A user that is not there is a null, which none of these match.
			return (strings.HasPrefix(s, `{"data":{"me":{"id":`) ||
				strings.HasPrefix(s, `{"data":{"users":{"nodes":[{`) ||
				strings.HasPrefix(s, `{"data":{"user":{"id":`)) && !strings.Contains(s, `"errors"`)
		},
	}
}

// limitMix is the mix on the limit server. It takes no token, so its me is
// user 1 by id, the token's user.
func (b *bench) limitMix() request {
	base := b.limit.base
	page := base + "/v1/users?limit=20"
	return request{
		method: http.MethodGet,
		urlOf: func(w, i int) string {
			switch mixKind(w, i) {
			case mixMe:
				return base + "/user?id=1"
			case mixPage:
				return page
			}
			return base + "/user?id=" + strconv.Itoa(int(b.mixUserID(w, i)))
		},
		header: http.Header{},
		ok:     envelopeOK,
	}
}

// checkMix sends each kind of the mix once, as worker 0's first requests,
// and verifies the answers.
func checkMix(ctx context.Context, what string, req request) error {
	for i := range mixKinds {
		status, body, err := fetchNth(ctx, req, 0, i)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if status != http.StatusOK || !req.ok(body) {
			return fmt.Errorf("%s: request %d: %d %.300s", what, i, status, body)
		}
	}
	return nil
}
