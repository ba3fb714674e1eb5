package graph_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"users/graph/model"
	"users/internal/apptest"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	signUp(t, srv, "viewer", "viewer@example.com", "viewerpass1")
	token := srv.Login(t, "viewer@example.com", "viewerpass1")
	insertUsers(t, srv.Pool, 44)
	all := allUserIDs(t, srv.Pool)
	if len(all) != 45 {
		t.Fatalf("%d users, want 45", len(all))
	}

	getPage := func(t *testing.T, vars map[string]any) page {
		t.Helper()
		var p page
		srv.GraphQL(t, token, pageQuery, vars).Decode(t, &p)
		// edges and nodes describe the same users; endCursor is the last edge's.
		u := p.Users
		if len(u.Edges) != len(u.Nodes) {
			t.Fatalf("%d edges, %d nodes", len(u.Edges), len(u.Nodes))
		}
		for i := range u.Nodes {
			if u.Edges[i].Node.ID != u.Nodes[i].ID {
				t.Errorf("edges[%d].node.id = %s, nodes[%d].id = %s", i, u.Edges[i].Node.ID, i, u.Nodes[i].ID)
			}
			if u.Edges[i].Cursor == "" {
				t.Errorf("edges[%d].cursor is empty", i)
			}
		}
		switch end := u.PageInfo.EndCursor; {
		case len(u.Edges) == 0 && end != nil:
			t.Errorf("endCursor = %q on an empty page, want null", *end)
		case len(u.Edges) > 0 && (end == nil || *end != u.Edges[len(u.Edges)-1].Cursor):
			t.Errorf("endCursor = %v, want the last edge's cursor %q", end, u.Edges[len(u.Edges)-1].Cursor)
		}
		if u.TotalCount != len(all) {
			t.Errorf("totalCount = %d, want %d", u.TotalCount, len(all))
		}
		return p
	}
	idsOf := func(p page) []string {
		var ids []string
		for _, n := range p.Users.Nodes {
			ids = append(ids, n.ID)
		}
		return ids
	}

	sizes := []struct {
		name      string
		first     any // nil: the default
		wantFirst []string
		wantNext  bool
	}{
		{"default is 20", nil, all[:20], true},
		{"first 0", 0, nil, true},
		{"first 1", 1, all[:1], true},
		{"first 44", 44, all[:44], true},
		{"first 45", 45, all, false},
	}
	for _, tt := range sizes {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]any{}
			if tt.first != nil {
				vars["first"] = tt.first
			}
			p := getPage(t, vars)
			if got := idsOf(p); !slices.Equal(got, tt.wantFirst) {
				t.Errorf("ids = %v, want %v", got, tt.wantFirst)
			}
			if got := p.Users.PageInfo.HasNextPage; got != tt.wantNext {
				t.Errorf("hasNextPage = %v, want %v", got, tt.wantNext)
			}
		})
	}

	t.Run("first 100", func(t *testing.T) {
		// The largest page.
		var out struct {
			Users struct {
				Nodes    []struct{ ID string }
				PageInfo struct{ HasNextPage bool }
			}
		}
		srv.GraphQL(t, token, `{ users(first: 100) { nodes { id } pageInfo { hasNextPage } } }`, nil).Decode(t, &out)
		var got []string
		for _, n := range out.Users.Nodes {
			got = append(got, n.ID)
		}
		if !slices.Equal(got, all) || out.Users.PageInfo.HasNextPage {
			t.Errorf("ids = %v, hasNextPage = %v; want every user and false", got, out.Users.PageInfo.HasNextPage)
		}
	})

	t.Run("default without variables", func(t *testing.T) {
		var out struct {
			Users struct{ Nodes []struct{ ID string } }
		}
		srv.GraphQL(t, token, `{ users { nodes { id } } }`, nil).Decode(t, &out)
		if len(out.Users.Nodes) != 20 {
			t.Errorf("%d users, want 20", len(out.Users.Nodes))
		}
	})

	for _, size := range []int{10, 9, 7, 1} {
		t.Run(fmt.Sprintf("every page of %d", size), func(t *testing.T) {
			var got []string
			vars := map[string]any{"first": size}
			for pages := 1; ; pages++ {
				if pages > len(all)+1 {
					t.Fatalf("more than %d pages", pages)
				}
				p := getPage(t, vars)
				if n := len(p.Users.Nodes); n > size || (n < size && p.Users.PageInfo.HasNextPage) {
					t.Fatalf("page %d has %d users, hasNextPage %v", pages, n, p.Users.PageInfo.HasNextPage)
				}
				got = append(got, idsOf(p)...)
				if !p.Users.PageInfo.HasNextPage {
					if want := (len(all) + size - 1) / size; pages != want {
						t.Errorf("%d pages, want %d (no empty last page)", pages, want)
					}
					break
				}
				vars["after"] = *p.Users.PageInfo.EndCursor
			}
			if !slices.Equal(got, all) {
				t.Errorf("ids over all pages = %v, want %v", got, all)
			}
		})
	}

	t.Run("without totalCount", func(t *testing.T) {
		var out struct {
			Users struct {
				Nodes    []struct{ ID string }
				PageInfo struct{ HasNextPage bool }
			}
		}
		srv.GraphQL(t, token, `{ users(first: 5) { nodes { id } pageInfo { hasNextPage } } }`, nil).Decode(t, &out)
		if len(out.Users.Nodes) != 5 || !out.Users.PageInfo.HasNextPage {
			t.Errorf("users = %+v, want 5 users and a next page", out.Users)
		}
	})

	bad := []struct {
		name  string
		vars  map[string]any
		field string
	}{
		{"first 101", map[string]any{"first": 101}, "first"},
		{"first -1", map[string]any{"first": -1}, "first"},
		{"after not base64", map[string]any{"after": "abc!"}, "after"},
		{"after of random text", map[string]any{"after": "abc"}, "after"},
		{"after a user id", map[string]any{"after": all[0]}, "after"},
		{"after with another prefix", map[string]any{"after": b64("post:1")}, "after"},
		{"after a negative id", map[string]any{"after": b64("user:-1")}, "after"},
		{"after a padded id", map[string]any{"after": b64("user:007")}, "after"},
		{"after an id beyond int32", map[string]any{"after": b64("user:4294967296")}, "after"},
		{"after too long", map[string]any{"after": b64("user:" + strings.Repeat("1", 40))}, "after"},
	}
	const lightQuery = `query($first: Int, $after: String) { users(first: $first, after: $after) { nodes { id } } }`
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, lightQuery, tt.vars)
			wantError(t, r, codeInvalid)
			wantNoData(t, r)
			if _, ok := fieldsOf(t, r)[tt.field]; !ok {
				t.Errorf("extensions.fields = %v, want a message for %s", fieldsOf(t, r), tt.field)
			}
		})
	}

	t.Run("cursor survives deletion of its user", func(t *testing.T) {
		p := getPage(t, map[string]any{"first": 3})
		end := *p.Users.PageInfo.EndCursor
		last := p.Users.Nodes[2].ID
		lastID, _ := model.ParseUserGlobalID(last)
		if _, err := srv.Pool.Exec(t.Context(), `DELETE FROM "user" WHERE user_id = $1`, lastID); err != nil {
			t.Fatal(err)
		}
		all = slices.DeleteFunc(all, func(id string) bool { return id == last })
		var next page
		srv.GraphQL(t, token, pageQuery, map[string]any{"first": 3, "after": end}).Decode(t, &next)
		if got, want := idsOf(next), all[2:5]; !slices.Equal(got, want) {
			t.Errorf("ids after the deleted user's cursor = %v, want %v", got, want)
		}
	})
}

// b64 encodes s as the API encodes cursors.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestCursorEncoding(t *testing.T) {
	// Cursors are what b64 makes of "user:<id>", or the bad-cursor cases
	// above would prove nothing.
	for _, id := range []int32{0, 1, 42, 12345, 2147483647} {
		if got, want := b64("user:"+strconv.Itoa(int(id))), model.UserCursor(id); got != want {
			t.Errorf("b64(user:%d) = %q, graph.Cursor = %q", id, got, want)
		}
	}
}

func TestUser(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	me := signUp(t, srv, "judy", "judy@example.com", "judypass12")
	other := signUp(t, srv, "mallory", "mallory@example.com", "mallory123")
	token := srv.Login(t, "judy@example.com", "judypass12")

	tests := []struct {
		name string
		id   string
		want *user
	}{
		{"self", me.ID, &me},
		{"other user", other.ID, &other},
		{"missing", "999999", nil},
		{"zero", "0", nil},
		{"not a number", "abc", nil},
		{"negative", "-1", nil},
		{"leading zero", "0" + other.ID, nil},
		{"plus sign", "+" + other.ID, nil},
		{"beyond int32", "4294967296", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, userQuery, map[string]any{"id": tt.id})
			var out struct{ User *user }
			r.Decode(t, &out)
			switch {
			case tt.want == nil && out.User != nil:
				t.Errorf("user = %+v, want null", *out.User)
			case tt.want != nil && out.User == nil:
				t.Errorf("user = null, want %s", tt.want.ID)
			case tt.want != nil && (out.User.ID != tt.want.ID || out.User.Email != tt.want.Email || out.User.Username != tt.want.Username):
				t.Errorf("user = %+v, want %+v", *out.User, *tt.want)
			}
		})
	}
}
