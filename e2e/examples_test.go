package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"users/internal/apptest"
)

// builtExample returns the folder of examples/name once scripts/check.sh has
// installed its npm packages and built it (built is a file the build
// writes). Without node or the build, the test fails in CI and skips
// elsewhere.
func builtExample(t *testing.T, name, built string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	msg := ""
	if _, err := exec.LookPath("node"); err != nil {
		msg = "node is not installed (Node.js 20+)"
	} else if _, err := os.Stat(filepath.Join(dir, built)); err != nil {
		msg = "examples/" + name + " is not built: scripts/check.sh builds it (npm ci, then its code generator)"
	}
	if msg != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// seed stores n users straight in the database (a server in trusted
// documents mode runs only the example's own documents) and returns every
// username in user_id order.
func seed(t *testing.T, srv *apptest.Server, n int) []string {
	t.Helper()
	_, err := srv.Pool.Exec(t.Context(), `INSERT INTO "user" (username, email, password, sid)
		SELECT 'seed' || i, 'seed' || i || '@example.com', 'not a hash', md5(i::text) FROM generate_series(1, $1::int) AS i`, n)
	if err != nil {
		t.Fatal(err)
	}
	return usernames(t, srv)
}

func usernames(t *testing.T, srv *apptest.Server) []string {
	t.Helper()
	rows, err := srv.Pool.Query(t.Context(), `SELECT username FROM "user" ORDER BY user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	return names
}

// node runs a built example's script against srv and decodes the JSON line
// it prints into out.
func node(t *testing.T, dir, script string, srv *apptest.Server, out any, env ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append(env, "GRAPHQL_URL="+srv.URL+"/graphql", "PAGE_SIZE=3")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s\nserver log:\n%s", script, err, stderr.String(), srv.Logs.String())
	}
	t.Logf("node %s: %s", script, time.Since(start).Round(time.Millisecond))
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed %q: %v", script, stdout.String(), err)
	}
}

// TestTypeScriptExample runs examples/typescript (graphql-codegen's client
// preset, Apollo Client 4 with persisted queries, relayStylePagination and
// fetchMore) against the service: with automatic persisted queries, and
// with its own persisted-documents.json as the server's trusted documents.
// Either way it must read every user once, in order.
func TestTypeScriptExample(t *testing.T) {
	dir := builtExample(t, "typescript", "dist/main.js")
	for _, mode := range []string{"apq", "trusted"} {
		t.Run(mode, func(t *testing.T) {
			cfg := apptest.Config()
			if mode == "trusted" {
				cfg.TrustedDocuments = filepath.Join(dir, "src", "gql", "persisted-documents.json")
			}
			srv := apptest.Start(t, cfg)
			seed(t, srv, 10)
			for run := 1; run <= 2; run++ { // the second run finds its documents persisted
				var out struct {
					Users []string
					Pages int
				}
				node(t, dir, "dist/main.js", srv, &out, "PERSISTED="+mode)
				want := usernames(t, srv)
				if !slices.Equal(out.Users, want) {
					t.Fatalf("run %d: Apollo read %v, want every user once, in order: %v", run, out.Users, want)
				}
				if pages := (len(want) + 2) / 3; out.Pages != pages {
					t.Errorf("run %d: %d pages, want %d", run, out.Pages, pages)
				}
			}
			if mode == "trusted" && strings.Contains(srv.Logs.String(), `"status":422`) {
				t.Errorf("a request was refused in trusted mode:\n%s", srv.Logs.String())
			}
		})
	}
}

// TestRelayExample runs examples/relay (relay-compiler's artifacts, persisted
// as MD5 ids, and relay-runtime) against the service with the Relay
// persisted queries file as its trusted documents: Relay pages forward and
// backward through every user and refetches one by its global ID.
func TestRelayExample(t *testing.T) {
	dir := builtExample(t, "relay", filepath.Join("src", "__generated__", "UserListPaginationQuery.graphql.js"))
	cfg := apptest.Config()
	cfg.TrustedDocuments = filepath.Join(dir, "persisted_queries.json")
	srv := apptest.Start(t, cfg)
	seed(t, srv, 10)
	var out struct {
		Forward, Backward                 []string
		ForwardRequests, BackwardRequests int
		Refetched                         struct{ ID, Username string }
	}
	node(t, dir, "src/main.js", srv, &out)
	want := usernames(t, srv) // 11: the example signed up too
	if !slices.Equal(out.Forward, want) {
		t.Errorf("forward: %v, want %v", out.Forward, want)
	}
	if !slices.Equal(out.Backward, want) {
		t.Errorf("backward: %v, want %v", out.Backward, want)
	}
	if pages := (len(want) + 2) / 3; out.ForwardRequests != pages || out.BackwardRequests != pages {
		t.Errorf("%d requests forward, %d backward; want %d each", out.ForwardRequests, out.BackwardRequests, pages)
	}
	if out.Refetched.Username != want[0] || out.Refetched.ID == "" {
		t.Errorf("refetched %+v, want the first user, %s", out.Refetched, want[0])
	}
}
