package security_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"users/graph/model"
	"users/internal/admin"
	"users/internal/apptest"
	"users/internal/auth"
	"users/internal/config"
)

// Who sees whose email and info (OWASP API3:2023, broken object property
// level authorization): two ordinary users and an admin, under both
// USER_DIRECTORY settings, through every path of both APIs that answers
// with a user.

// member is a user of the privacy tests.
type member struct {
	username, email, password string
	info                      string // as sent at sign-up
	admin                     bool

	id    string // set once signed up
	token string // set once logged in
}

func members() []*member {
	return []*member{
		{username: "alice", email: "alice@example.com", password: "alice1234", info: `{"team": "a"}`},
		{username: "bob.smith", email: "bob@example.com", password: "bob12345", info: `{"team": "b", "phone": "123"}`},
		{username: "root", email: "root@example.com", password: "root1234", info: `{"team": "ops"}`, admin: true},
	}
}

// startDirectory runs the service with the directory setting and signs the
// members up (with info), makes the admin one with the operator's command,
// and logs each in.
func startDirectory(t *testing.T, dir auth.Directory) (*apptest.Server, []*member) {
	t.Helper()
	cfg := apptest.Config()
	cfg.UserDirectory = dir
	srv := apptest.Start(t, cfg)
	ms := members()
	for _, m := range ms {
		var info map[string]any
		if err := json.Unmarshal([]byte(m.info), &info); err != nil {
			t.Fatal(err)
		}
		r := srv.GraphQL(t, "", `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"username": m.username, "email": m.email, "password": m.password, "info": info}})
		var out struct{ CreateUser struct{ ID string } }
		r.Decode(t, &out)
		m.id = out.CreateUser.ID
		if m.admin {
			grant, err := admin.Parse([]string{"grant", m.email})
			if err != nil {
				t.Fatal(err)
			}
			if err := grant.Run(t.Context(), srv.Pool, io.Discard); err != nil {
				t.Fatalf("grant admin to %s: %v", m.email, err)
			}
		}
		m.token = srv.Login(t, m.email, m.password)
	}
	return srv, ms
}

// mayRead is the rule under test, written out: the legacy directory shows
// everything to everyone; private shows a user's email and info to that
// user and to admins.
func mayRead(dir auth.Directory, viewer, target *member) bool {
	return dir == auth.DirectoryLegacy || viewer.admin || viewer == target
}

// readPath reads target as viewer through one path of one API: the user
// object as it was answered, key by key.
type readPath struct {
	name string
	rest bool // REST leaves withheld keys out; GraphQL answers null
	read func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage
}

const gqlUserFields = `id username email info created modified`

var readPaths = []readPath{
	{name: "GraphQL user(id:)", read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		var out struct{ User map[string]json.RawMessage }
		srv.GraphQL(t, viewer.token, `query($id: ID!) { user(id: $id) { `+gqlUserFields+` } }`, map[string]any{"id": target.id}).Decode(t, &out)
		return out.User
	}},
	{name: "GraphQL users nodes", read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		var out struct {
			Users struct{ Nodes []map[string]json.RawMessage }
		}
		srv.GraphQL(t, viewer.token, `{ users(first: 100) { nodes { `+gqlUserFields+` } } }`, nil).Decode(t, &out)
		return byField(t, out.Users.Nodes, "id", target.id)
	}},
	{name: "GraphQL users edges", read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		var out struct {
			Users struct {
				Edges []struct{ Node map[string]json.RawMessage }
			}
		}
		srv.GraphQL(t, viewer.token, `{ users(first: 100) { edges { node { `+gqlUserFields+` } } } }`, nil).Decode(t, &out)
		nodes := make([]map[string]json.RawMessage, len(out.Users.Edges))
		for i, e := range out.Users.Edges {
			nodes[i] = e.Node
		}
		return byField(t, nodes, "id", target.id)
	}},
	{name: "GraphQL users, one a page", read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		var after any // nil: from the start
		for {
			var out struct {
				Users struct {
					Nodes    []map[string]json.RawMessage
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
			srv.GraphQL(t, viewer.token, `query($after: String) { users(first: 1, after: $after) {
				nodes { `+gqlUserFields+` } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}).Decode(t, &out)
			if len(out.Users.Nodes) == 1 && string(unquote(t, out.Users.Nodes[0]["id"])) == target.id {
				return out.Users.Nodes[0]
			}
			if !out.Users.PageInfo.HasNextPage {
				t.Fatalf("no page holds user %s", target.id)
			}
			after = out.Users.PageInfo.EndCursor
		}
	}},
	{name: "REST GET /v1/users/{id}", rest: true, read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		var u map[string]json.RawMessage
		decodeOK(t, srv, viewer, "/v1/users/"+target.id, &u)
		return u
	}},
	{name: "REST GET /v1/users (streamed)", rest: true, read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		var us []map[string]json.RawMessage
		decodeOK(t, srv, viewer, "/v1/users", &us)
		return byField(t, us, "username", target.username)
	}},
	{name: "REST GET /v1/users?limit=1", rest: true, read: func(t *testing.T, srv *apptest.Server, viewer, target *member) map[string]json.RawMessage {
		id, _ := model.ParseUserGlobalID(target.id)
		var us []map[string]json.RawMessage
		decodeOK(t, srv, viewer, "/v1/users?limit=1&after="+strconv.Itoa(int(id)-1), &us)
		return byField(t, us, "username", target.username)
	}},
}

// TestDirectoryPrivacy: under legacy everyone reads everyone's email and
// info, as the legacy API answered; under private an ordinary user reads
// only their own and the admin reads everyone's. Withheld fields are null
// in GraphQL and absent in REST, with no error; the other fields are there.
func TestDirectoryPrivacy(t *testing.T) {
	t.Parallel()
	for _, dir := range []auth.Directory{auth.DirectoryLegacy, auth.DirectoryPrivate} {
		t.Run(dir.String(), func(t *testing.T) {
			t.Parallel()
			srv, ms := startDirectory(t, dir)
			for _, viewer := range ms {
				for _, target := range ms {
					want := mayRead(dir, viewer, target)
					for _, p := range readPaths {
						t.Run(viewer.username+" reads "+target.username+"/"+p.name, func(t *testing.T) {
							checkRead(t, p.read(t, srv, viewer, target), target, want, p.rest)
						})
					}
				}
			}
		})
	}
}

// TestDirectoryOwnAnswers: the answers that can only be about oneself (me,
// login, sign-up) show the email and info under both settings, even with
// another user's token in the request.
func TestDirectoryOwnAnswers(t *testing.T) {
	t.Parallel()
	for _, dir := range []auth.Directory{auth.DirectoryLegacy, auth.DirectoryPrivate} {
		t.Run(dir.String(), func(t *testing.T) {
			t.Parallel()
			srv, ms := startDirectory(t, dir)
			alice, bob := ms[0], ms[1]

			t.Run("GraphQL me", func(t *testing.T) {
				var out struct{ Me map[string]json.RawMessage }
				srv.GraphQL(t, alice.token, `{ me { `+gqlUserFields+` } }`, nil).Decode(t, &out)
				checkRead(t, out.Me, alice, true, false)
			})
			t.Run("GraphQL login with another's token", func(t *testing.T) {
				var out struct {
					Login struct{ User map[string]json.RawMessage }
				}
				srv.GraphQL(t, bob.token, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { `+gqlUserFields+` } } }`,
					map[string]any{"e": alice.email, "p": alice.password}).Decode(t, &out)
				checkRead(t, out.Login.User, alice, true, false)
			})
			t.Run("GraphQL createUser with another's token", func(t *testing.T) {
				carol := &member{username: "carol", email: "carol@example.com", password: "carol1234", info: `{"team": "c"}`}
				var out struct{ CreateUser map[string]json.RawMessage }
				srv.GraphQL(t, bob.token, `mutation { createUser(input: {username: "carol", email: "carol@example.com", password: "carol1234", info: {team: "c"}}) { `+gqlUserFields+` } }`, nil).Decode(t, &out)
				carol.id = string(unquote(t, out.CreateUser["id"]))
				checkRead(t, out.CreateUser, carol, true, false)
			})
			t.Run("REST login with another's token", func(t *testing.T) {
				h := http.Header{"Authorization": {bob.token}}
				status, e := srv.REST(t, http.MethodGet, restLoginQuery(alice.email, alice.password), h, "")
				var u map[string]json.RawMessage
				if status != http.StatusOK || e.Meta.Code != 200 || json.Unmarshal(e.Data, &u) != nil {
					t.Fatalf("REST login: %d %+v", status, e)
				}
				delete(u, "token")
				checkRead(t, u, alice, true, true)
			})
		})
	}
}

// TestDirectoryKeepsPaging: what a list holds besides the withheld fields
// (ids, usernames, cursors, page info, totalCount; REST's Link header and
// list lengths) is the same for every viewer under both settings.
func TestDirectoryKeepsPaging(t *testing.T) {
	t.Parallel()
	const pages = `query($after: String) { users(first: 2, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id username } } } }`
	type view struct {
		GraphQL []json.RawMessage
		Link    string
		Lengths []int
	}
	var first *view
	for _, dir := range []auth.Directory{auth.DirectoryLegacy, auth.DirectoryPrivate} {
		srv, ms := startDirectory(t, dir)
		for _, viewer := range ms {
			var v view
			after := any(nil)
			for range 2 {
				r := srv.GraphQL(t, viewer.token, pages, map[string]any{"after": after})
				var out struct {
					Users struct{ PageInfo struct{ EndCursor string } }
				}
				r.Decode(t, &out)
				v.GraphQL = append(v.GraphQL, r.Data)
				after = out.Users.PageInfo.EndCursor
			}
			status, header, body := srv.Do(t, http.MethodGet, "/v1/users?limit=2", http.Header{"Authorization": {viewer.token}}, "")
			if status != http.StatusOK {
				t.Fatalf("GET /v1/users?limit=2 as %s: %d %s", viewer.username, status, body)
			}
			v.Link = header.Get("Link")
			for _, path := range []string{"/v1/users?limit=2", "/v1/users?limit=2&after=2", "/v1/users"} {
				var us []json.RawMessage
				decodeOK(t, srv, viewer, path, &us)
				v.Lengths = append(v.Lengths, len(us))
			}
			if first == nil {
				first = &v
				continue
			}
			if !reflect.DeepEqual(v, *first) {
				t.Errorf("%s, %s sees the pages as\n%s\nwant\n%s", dir, viewer.username, jsonOf(t, v), jsonOf(t, *first))
			}
		}
	}
}

// checkRead checks a user as answered: its id (GraphQL) and username, its
// timestamps, and its email and info: the target's own when visible; when
// withheld, null in GraphQL and no key at all in REST.
func checkRead(t *testing.T, got map[string]json.RawMessage, target *member, visible, rest bool) {
	t.Helper()
	if got == nil {
		t.Fatalf("no user answered for %s", target.username)
	}
	if string(unquote(t, got["username"])) != target.username {
		t.Errorf("username = %s, want %s", got["username"], target.username)
	}
	if !rest && string(unquote(t, got["id"])) != target.id {
		t.Errorf("id = %s, want %s", got["id"], target.id)
	}
	for _, key := range []string{"created", "modified"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no %s in %s", key, jsonOf(t, got))
		}
	}
	email, hasEmail := got["email"]
	info, hasInfo := got["info"]
	switch {
	case visible:
		if !hasEmail || string(unquote(t, email)) != target.email {
			t.Errorf("email = %s, want %s", email, target.email)
		}
		if !hasInfo || !jsonEqual(t, info, target.info) {
			t.Errorf("info = %s, want %s", info, target.info)
		}
	case rest:
		if hasEmail || hasInfo {
			t.Errorf("withheld fields answered: %s, want no email and no info key", jsonOf(t, got))
		}
	default:
		if string(email) != "null" || string(info) != "null" {
			t.Errorf("withheld fields answered: email %s, info %s; want null, null", email, info)
		}
	}
}

// decodeOK GETs a REST path with the viewer's token and decodes the data of
// its 200 envelope into v.
func decodeOK(t *testing.T, srv *apptest.Server, viewer *member, path string, v any) {
	t.Helper()
	status, e := srv.REST(t, http.MethodGet, path, http.Header{"Authorization": {viewer.token}}, "")
	if status != http.StatusOK || e.Meta.Code != 200 || e.Meta.Message != "OK" {
		t.Fatalf("GET %s as %s: %d %+v", path, viewer.username, status, e.Meta)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		t.Fatalf("GET %s: data %s: %v", path, e.Data, err)
	}
}

// byField returns the object whose key holds the string want.
func byField(t *testing.T, objs []map[string]json.RawMessage, key, want string) map[string]json.RawMessage {
	t.Helper()
	for _, o := range objs {
		if string(unquote(t, o[key])) == want {
			return o
		}
	}
	t.Fatalf("no user with %s %q among %d", key, want, len(objs))
	return nil
}

func unquote(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil
	}
	return []byte(s)
}

func jsonEqual(t *testing.T, a json.RawMessage, b string) bool {
	t.Helper()
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLegacyDirectoryWarning: live warns once at start while the legacy
// directory is in force; private, and local runs, do not.
func TestLegacyDirectoryWarning(t *testing.T) {
	t.Parallel()
	const warning = "USER_DIRECTORY=legacy: every user can read every user's email and info"
	tests := []struct {
		env  string
		dir  auth.Directory
		want int
	}{
		{config.EnvLive, auth.DirectoryLegacy, 1},
		{config.EnvLive, auth.DirectoryPrivate, 0},
		{config.EnvLocal, auth.DirectoryLegacy, 0},
	}
	for _, tt := range tests {
		t.Run(tt.env+"/"+tt.dir.String(), func(t *testing.T) {
			cfg := apptest.Config()
			cfg.Env, cfg.UserDirectory = tt.env, tt.dir
			srv := apptest.Start(t, cfg)
			if n := strings.Count(srv.Logs.String(), warning); n != tt.want {
				t.Errorf("%d warnings, want %d:\n%s", n, tt.want, srv.Logs.String())
			}
		})
	}
}
