package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"users/graph/model"
	"users/internal/apptest"
	"users/internal/testdb"
	"users/internal/validate"
)

// numbers is an info object holding n copies of 1e131071, which PostgreSQL
// writes back as 131,072 digits each.
func numbers(n int) string {
	return `{"n": [` + strings.TrimSuffix(strings.Repeat("1e131071, ", n), ", ") + `]}`
}

// atBound is an info object of exactly INFO_MAX_BYTES as stored.
var atBound = `{"pad": "` + strings.Repeat("a", validate.DefaultInfoMaxBytes-11) + `"}`

// attack is one request of the amplification attacks and the answer it must
// get: a status, and either an error code or a body of at most maxBytes.
type attack struct {
	name     string
	send     func(t *testing.T) (status int, body []byte)
	status   int
	code     string // GraphQL extensions.code, or REST meta.code as a number
	maxBytes int    // for an answer with data
}

// TestReplicaMemory runs the server binary as deploy/kubernetes configures a
// pod (APP_ENV=live, GOMEMLIMIT, pool size) and sends the amplification
// attacks of a small request: sign-ups whose info PostgreSQL would write back
// a thousand times larger (refused), a hundred users with info at its bound,
// rows already over the bound (as a legacy database holds them), and the
// aliased GraphQL reads and REST reads over all of them. Each answer is the
// expected error or size, and the replica's peak RSS stays under the pod's
// memory limit.
func TestReplicaMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the server's peak RSS from /proc")
	}
	t.Parallel()
	memLimit, env := deployment(t)
	env["DATABASE_URL"] = testdb.NewURL(t)
	env["SECRET_KEY"] = apptest.NewKey(t)
	env["METRICS_ADDR"] = "off"
	// Speed only: one client signs up a hundred users, with cheap hashes.
	env["BCRYPT_COST"], env["RATE_LIMIT_SIGNUP"], env["RATE_LIMIT_LOGIN"] = "4", "0", "0"
	srv := startReplica(t, env)
	t.Logf("replica: memory limit %d MiB, GOMEMLIMIT %s, peak RSS after start %.1f MiB", memLimit>>20, env["GOMEMLIMIT"], mib(srv.peakRSS(t)))

	conn, err := pgx.Connect(t.Context(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(t.Context()) })

	gql := func(token, query string, vars map[string]any) func(t *testing.T) (int, []byte) {
		return func(t *testing.T) (int, []byte) {
			body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
			if err != nil {
				t.Fatal(err)
			}
			return srv.do(t, http.MethodPost, "/graphql", http.Header{"Authorization": {token}}, string(body))
		}
	}
	rest := func(token, method, path, body string) func(t *testing.T) (int, []byte) {
		return func(t *testing.T) (int, []byte) {
			return srv.do(t, method, path, http.Header{"Authorization": {token}}, body)
		}
	}
	signUp := func(email, info string) string {
		return `{"username": "attacker", "email": "` + email + `", "password": "attack123", "info": ` + info + `}`
	}
	const createUser = `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`
	in := func(email, info string) map[string]any {
		var v any
		dec := json.NewDecoder(strings.NewReader(info))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return map[string]any{"in": map[string]any{"username": "attacker", "email": email, "password": "attack123", "info": v}}
	}
	var peak int64
	run := func(attacks []attack) {
		t.Helper()
		for _, a := range attacks {
			reset := srv.resetPeak()
			status, body := a.send(t)
			rss := srv.peakRSS(t)
			peak = max(peak, rss)
			code := answerCode(body)
			t.Logf("%-72s %3d %10d bytes  %-26s peak RSS %6.1f MiB (reset: %v)", a.name, status, len(body), code, mib(rss), reset)
			switch {
			case status != a.status || code != a.code:
				t.Errorf("%s: %d %s: %.300s; want %d %s", a.name, status, code, body, a.status, a.code)
			case a.maxBytes > 0 && len(body) > a.maxBytes:
				t.Errorf("%s: %d bytes, want at most %d", a.name, len(body), a.maxBytes)
			}
		}
	}

	// Sign-ups whose info is small to send and huge to read back: refused.
	run([]attack{
		{"REST sign-up, info of 20 × 1e131071 (214 bytes sent)", rest("", http.MethodPost, "/v1/users", signUp("n20@example.com", numbers(20))), 400, "88", 0},
		{"REST sign-up, info of 100 × 1e131071 (1 KB sent)", rest("", http.MethodPost, "/v1/users", signUp("n100@example.com", numbers(100))), 400, "88", 0},
		{"REST sign-up, info of 60 KiB", rest("", http.MethodPost, "/v1/users", signUp("pad@example.com", `{"pad": "`+strings.Repeat("a", 60<<10)+`"}`)), 400, "88", 0},
		{"GraphQL sign-up, info of 20 × 1e131071 in variables", gql("", createUser, in("gqln20@example.com", numbers(20))), 294, "INVALID_PARAMETER", 0},
		{"GraphQL sign-up, info of 20 × 1e131071 in the document", gql("", `mutation { createUser(input: {username: "attacker", email: "lit@example.com", password: "attack123", info: {n: [`+strings.Repeat("1e131071 ", 20)+`]}}) { id } }`, nil), 422, "GRAPHQL_VALIDATION_FAILED", 0},
	})
	var stored int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM "user"`).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("%d users stored by refused sign-ups (%v)", stored, err)
	}

	// A hundred users with info at the bound, signed up through the API.
	const users = 100
	var ids []string
	for i := range users {
		var out struct {
			Data struct{ CreateUser struct{ ID string } }
		}
		_, body := gql("", createUser, in(fmt.Sprintf("max%d@example.com", i), atBound))(t)
		if err := json.Unmarshal(body, &out); err != nil || out.Data.CreateUser.ID == "" {
			t.Fatalf("sign up with info at the bound: %.300s", body)
		}
		ids = append(ids, out.Data.CreateUser.ID)
	}
	// Rows over the bound, as a legacy database may hold them: 40 with
	// 64 KiB of info, and the two amplified infos of the sign-ups above.
	var hugeID int32
	err = conn.QueryRow(t.Context(), `
		WITH padded AS (
			INSERT INTO "user" (username, email, password, sid, info)
			SELECT 'legacy', 'legacy' || i || '@example.com', 'x', md5(i::text), jsonb_build_object('pad', repeat('a', 65525))
			FROM generate_series(1, 40) AS i
		), twenty AS (
			INSERT INTO "user" (username, email, password, sid, info) VALUES ('legacy', 'n20@example.com', 'x', 'n20', $1::jsonb)
		)
		INSERT INTO "user" (username, email, password, sid, info) VALUES ('legacy', 'n100@example.com', 'x', 'n100', $2::jsonb)
		RETURNING user_id`, numbers(20), numbers(100)).Scan(&hugeID)
	if err != nil {
		t.Fatal(err)
	}
	var loginOut struct {
		Data struct{ Login struct{ Token string } }
	}
	_, body := gql("", `mutation { login(email: "max0@example.com", password: "attack123") { token } }`, nil)(t)
	if err := json.Unmarshal(body, &loginOut); err != nil || loginOut.Data.Login.Token == "" {
		t.Fatalf("login: %.300s", body)
	}
	token := loginOut.Data.Login.Token

	aliases := func(n int, field string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return "{" + b.String() + " }"
	}
	huge := fmt.Sprint(hugeID)
	eightHuge := aliases(8, `user(id: "`+huge+`") { info }`)
	page := `users(first: 100) { nodes { info } }`
	perUser := validate.DefaultInfoMaxBytes + 300 // the user's other fields, the envelope
	run([]attack{
		{"GraphQL: 8 × user(id){info}, legacy info of 100 × 1e131071", gql(token, eightHuge, nil), 294, "RESPONSE_TOO_LARGE", 0},
		{"GraphQL: the same from 4 clients at once", func(t *testing.T) (int, []byte) {
			body, _ := json.Marshal(map[string]any{"query": eightHuge})
			var wg sync.WaitGroup
			answers := make([][]byte, 4)
			for i := range answers {
				wg.Go(func() {
					_, answers[i], _ = srv.send(t.Context(), http.MethodPost, "/graphql", http.Header{"Authorization": {token}}, string(body))
				})
			}
			wg.Wait()
			for _, a := range answers[1:] {
				if answerCode(a) != answerCode(answers[0]) {
					t.Errorf("concurrent answers differ: %.200s / %.200s", a, answers[0])
				}
			}
			return 294, answers[0]
		}, 294, "RESPONSE_TOO_LARGE", 0},
		{"GraphQL: 8 × user(id){info}, info at the bound", gql(token, aliases(8, `user(id: "`+ids[1]+`") { info }`), nil), 200, "", 8 * perUser},
		{"GraphQL: 4 × users(first:100){nodes{info}}", gql(token, aliases(4, page), nil), 422, "COMPLEXITY_LIMIT_EXCEEDED", 0},
		{"GraphQL: users(first:100){nodes{info}}, info at the bound", gql(token, "{ "+page+" }", nil), 200, "", users * perUser},
		{"GraphQL: users(first:100){nodes{info}}, over the legacy rows", gql(token, `{ users(first: 100, after: "`+model.UserCursor(users)+`") { nodes { info } } }`, nil), 294, "RESPONSE_TOO_LARGE", 0},
		{"GraphQL: a full page of every field, with totalCount", gql(token, `{ users(first: 100) { nodes { id username email info created modified } pageInfo { hasNextPage endCursor } totalCount } }`, nil), 200, "", users * (perUser + 200)},
		{"REST: GET /v1/users/{id}, info at the bound", rest(token, http.MethodGet, "/v1/users/"+ids[1], ""), 200, "200", perUser},
		{"REST: login, info at the bound", rest("", http.MethodGet, "/v1/users/self/login?email=max1@example.com&password=attack123", ""), 200, "200", perUser + 200},
		{"REST: GET /v1/users/{id}, legacy info of 100 × 1e131071", rest(token, http.MethodGet, "/v1/users/"+huge, ""), 200, "200", 0},
		{"REST: GET /v1/users (every user, streamed)", rest(token, http.MethodGet, "/v1/users", ""), 200, "200", 0},
	})
	t.Logf("peak RSS %.1f MiB, memory limit %d MiB", mib(peak), memLimit>>20)
	if peak >= memLimit {
		t.Errorf("peak RSS %.1f MiB is over the pod's memory limit of %d MiB", mib(peak), memLimit>>20)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// answerCode is the GraphQL extensions.code of the first error, or the REST
// meta.code, of an answer; "" for GraphQL data without errors.
func answerCode(body []byte) string {
	var gql apptest.GraphQLResponse
	var env apptest.Envelope
	if json.Unmarshal(body, &gql) != nil || json.Unmarshal(body, &env) != nil {
		return "not JSON"
	}
	switch {
	case len(gql.Errors) > 0:
		return gql.Code()
	case env.Meta.Code != 0:
		return fmt.Sprint(env.Meta.Code)
	}
	return ""
}
