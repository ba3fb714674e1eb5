package graph_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"users/graph/model"
	"users/internal/apptest"
)

// relayQuery reads a page with every argument and every PageInfo field.
const relayQuery = `query($first: Int, $after: String, $last: Int, $before: String) {
  users(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

type relayPage struct {
	Users struct {
		Edges []struct {
			Cursor string
			Node   struct{ ID string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func (p relayPage) ids() []string {
	var ids []string
	for _, e := range p.Users.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

// specPage is the Relay Cursor Connections specification's pagination
// algorithm (ApplyCursorsToEdges, EdgesToReturn, hasPreviousPage,
// hasNextPage) run on the whole list in memory, answering the optional
// cases with false: the reference the server's keyset queries must match.
// A cursor is the index in all of the edge it names.
func specPage(all []string, first, last *int, after, before *int) (ids []string, hasPrev, hasNext bool) {
	edges := all
	lo := 0
	if after != nil {
		lo = *after + 1
	}
	hi := len(all)
	if before != nil {
		hi = *before
	}
	if lo < hi {
		edges = all[lo:hi]
	} else {
		edges = nil
	}
	bounded := len(edges)
	if first == nil && last == nil {
		first = new(int)
		*first = model.DefaultPageSize
	}
	if first != nil {
		hasNext = bounded > *first
		if len(edges) > *first {
			edges = edges[:*first]
		}
	}
	if last != nil {
		hasPrev = bounded > *last
		if len(edges) > *last {
			edges = edges[len(edges)-*last:]
		}
	}
	return slices.Clone(edges), hasPrev, hasNext
}

func TestRelayConnection(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	signUp(t, srv, "viewer", "viewer@example.com", "viewerpass1")
	token := srv.Login(t, "viewer@example.com", "viewerpass1")
	insertUsers(t, srv.Pool, 24)
	all := allUserIDs(t, srv.Pool) // 25 users
	cursorAt := func(i int) string {
		id, _ := model.ParseUserGlobalID(all[i])
		return model.UserCursor(id)
	}
	get := func(t *testing.T, vars map[string]any) relayPage {
		t.Helper()
		var p relayPage
		srv.GraphQL(t, token, relayQuery, vars).Decode(t, &p)
		return p
	}
	n := func(i int) *int { return &i }

	t.Run("every combination the spec defines", func(t *testing.T) {
		sizes := []*int{nil, n(0), n(1), n(3), n(24), n(25), n(100)}
		cursors := []*int{nil, n(0), n(5), n(12), n(24)}
		for _, first := range sizes {
			for _, last := range sizes {
				for _, after := range cursors {
					for _, before := range cursors {
						vars := map[string]any{}
						var name []string
						if first != nil {
							vars["first"] = *first
							name = append(name, "first:"+strconv.Itoa(*first))
						}
						if last != nil {
							vars["last"] = *last
							name = append(name, "last:"+strconv.Itoa(*last))
						}
						if after != nil {
							vars["after"] = cursorAt(*after)
							name = append(name, "after:#"+strconv.Itoa(*after))
						}
						if before != nil {
							vars["before"] = cursorAt(*before)
							name = append(name, "before:#"+strconv.Itoa(*before))
						}
						wantIDs, wantPrev, wantNext := specPage(all, first, last, after, before)
						p := get(t, vars)
						got := p.Users.PageInfo
						if !slices.Equal(p.ids(), wantIDs) || got.HasPreviousPage != wantPrev || got.HasNextPage != wantNext {
							t.Fatalf("users(%s): ids %v, hasPreviousPage %v, hasNextPage %v; the spec gives %v, %v, %v",
								strings.Join(name, ", "), p.ids(), got.HasPreviousPage, got.HasNextPage, wantIDs, wantPrev, wantNext)
						}
						checkCursors(t, p)
					}
				}
			}
		}
	})

	for _, size := range []int{1, 7, 10, 25} {
		t.Run(fmt.Sprintf("backward from the end, pages of %d", size), func(t *testing.T) {
			var got []string
			vars := map[string]any{"last": size}
			for pages := 1; ; pages++ {
				if pages > len(all)+1 {
					t.Fatalf("more than %d pages", pages)
				}
				p := get(t, vars)
				got = append(p.ids(), got...)
				if !p.Users.PageInfo.HasPreviousPage {
					if want := (len(all) + size - 1) / size; pages != want {
						t.Errorf("%d pages, want %d (no empty first page)", pages, want)
					}
					break
				}
				vars["before"] = *p.Users.PageInfo.StartCursor
			}
			if !slices.Equal(got, all) {
				t.Errorf("ids over all pages = %v, want %v", got, all)
			}
		})
	}

	t.Run("forward then back from the middle", func(t *testing.T) {
		p := get(t, map[string]any{"first": 10})
		next := get(t, map[string]any{"first": 5, "after": *p.Users.PageInfo.EndCursor})
		back := get(t, map[string]any{"last": 5, "before": *next.Users.PageInfo.StartCursor})
		if want := all[5:10]; !slices.Equal(back.ids(), want) || !back.Users.PageInfo.HasPreviousPage {
			t.Errorf("back: %v, hasPreviousPage %v; want %v, true", back.ids(), back.Users.PageInfo.HasPreviousPage, want)
		}
	})

	bad := []struct {
		name  string
		vars  map[string]any
		field string
	}{
		{"last 101", map[string]any{"last": 101}, "last"},
		{"last -1", map[string]any{"last": -1}, "last"},
		{"before not a cursor", map[string]any{"last": 1, "before": "abc"}, "before"},
		{"before a global ID", map[string]any{"last": 1, "before": all[3]}, "before"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, relayQuery, tt.vars)
			if r.Code() != "INVALID_PARAMETER" {
				t.Fatalf("code = %q, want INVALID_PARAMETER: %s", r.Code(), r.Body)
			}
			if _, ok := fieldsOf(t, r)[tt.field]; !ok {
				t.Errorf("extensions.fields = %v, want a message for %s", fieldsOf(t, r), tt.field)
			}
		})
	}
}

// checkCursors checks that startCursor and endCursor are the first and last
// edges' cursors, and null on an empty page.
func checkCursors(t *testing.T, p relayPage) {
	t.Helper()
	e, info := p.Users.Edges, p.Users.PageInfo
	if len(e) == 0 {
		if info.StartCursor != nil || info.EndCursor != nil {
			t.Errorf("empty page: startCursor %v, endCursor %v; want null", info.StartCursor, info.EndCursor)
		}
		return
	}
	if info.StartCursor == nil || *info.StartCursor != e[0].Cursor || info.EndCursor == nil || *info.EndCursor != e[len(e)-1].Cursor {
		t.Errorf("startCursor %v, endCursor %v; want the first and last edges' %q, %q", info.StartCursor, info.EndCursor, e[0].Cursor, e[len(e)-1].Cursor)
	}
}

func TestNode(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	ada := signUp(t, srv, "ada_l", "ada@example.com", "analytical1")
	signUp(t, srv, "grace", "grace@example.com", "cobol1959x")
	token := srv.Login(t, "ada@example.com", "analytical1")
	adaID, ok := model.ParseUserGlobalID(ada.ID)
	if !ok {
		t.Fatalf("createUser's id %q is not a user's global ID", ada.ID)
	}
	numeric := strconv.Itoa(int(adaID))
	missing := model.UserGlobalID(adaID + 1000)

	tests := []struct {
		name, query string
		vars        map[string]any
		want        string // data, as JSON
	}{
		{"node", `query($id: ID!) { node(id: $id) { id __typename ... on User { username } } }`,
			map[string]any{"id": ada.ID}, `{"node":{"id":"` + ada.ID + `","__typename":"User","username":"ada_l"}}`},
		{"node of no user", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": missing}, `{"node":null}`},
		{"node of a numeric id", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": numeric}, `{"node":null}`},
		{"node of another type", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": b64("Post:1")}, `{"node":null}`},
		{"node of junk", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "%%%"}, `{"node":null}`},
		{"nodes in order, null where none", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
			map[string]any{"ids": []string{missing, ada.ID, "junk", ada.ID}},
			`{"nodes":[null,{"id":"` + ada.ID + `"},null,{"id":"` + ada.ID + `"}]}`},
		{"nodes of none", `{ nodes(ids: []) { id } }`, nil, `{"nodes":[]}`},
		{"user by global ID", `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": ada.ID}, `{"user":{"id":"` + ada.ID + `"}}`},
		{"user by legacy numeric id", `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": numeric}, `{"user":{"id":"` + ada.ID + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, tt.query, tt.vars)
			if len(r.Errors) > 0 || string(r.Data) != tt.want {
				t.Errorf("data = %s, errors %+v; want %s", r.Data, r.Errors, tt.want)
			}
		})
	}

	t.Run("nodes at most 100", func(t *testing.T) {
		ids := make([]string, model.MaxNodes+1)
		for i := range ids {
			ids[i] = ada.ID
		}
		r := srv.GraphQL(t, token, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids})
		if r.Code() != "INVALID_PARAMETER" || fieldsOf(t, r)["ids"] == nil {
			t.Errorf("101 ids: %s; want INVALID_PARAMETER on ids", r.Body)
		}
		ok := srv.GraphQL(t, token, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids[:model.MaxNodes]})
		if len(ok.Errors) > 0 {
			t.Errorf("100 ids: %+v", ok.Errors)
		}
	})

	t.Run("same auth as user", func(t *testing.T) {
		for _, q := range []string{`{ node(id: "` + ada.ID + `") { id } }`, `{ nodes(ids: ["` + ada.ID + `"]) { id } }`, `{ user(id: "` + ada.ID + `") { id } }`} {
			if r := srv.GraphQL(t, "", q, nil); r.Code() != "UNAUTHENTICATED" {
				t.Errorf("%s without a token: %s; want UNAUTHENTICATED", q, r.Body)
			}
		}
	})
}
