// Package graph_test tests the GraphQL API black-box, over HTTP against the
// real server (apptest) on PostgreSQL, one file per operation; this file
// holds what they share.
package graph_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5/pgxpool"

	"users/graph/model"
	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The extensions.code values the service and gqlgen answer with.
const (
	codeInvalid         = "INVALID_PARAMETER"
	codeDuplicate       = "DUPLICATE"
	codeUserNotExists   = "USER_NOT_EXISTS"
	codePasswordNoMatch = "PASSWORD_NOT_MATCH"
	codeUnauthenticated = "UNAUTHENTICATED"
	codeInternal        = "INTERNAL"
	codeComplexity      = "COMPLEXITY_LIMIT_EXCEEDED"
	codeTooDeep         = "QUERY_TOO_DEEP"
	codeParseFailed     = "GRAPHQL_PARSE_FAILED"
	codeValidation      = "GRAPHQL_VALIDATION_FAILED"
)

// legacyCodes are the extensions.legacyCode each service code must carry.
var legacyCodes = map[string]int{
	codeInvalid:          88,
	codeDuplicate:        77,
	codeUserNotExists:    21,
	codePasswordNoMatch:  22,
	codeUnauthenticated:  99,
	codeInternal:         500,
	"RESPONSE_TOO_LARGE": 413,
}

const (
	userFields = `id username email info created modified`

	createUserMutation = `mutation($in: CreateUserInput!) { createUser(input: $in) { ` + userFields + ` } }`
	loginMutation      = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { ` + userFields + ` } } }`
	meQuery            = `{ me { ` + userFields + ` } }`
	userQuery          = `query($id: ID!) { user(id: $id) { ` + userFields + ` } }`
	// fullPage is the largest page: every field of 100 users, and the count.
	fullPage  = `{ users(first: 100) { nodes { ` + userFields + ` } pageInfo { hasNextPage endCursor } totalCount } }`
	pageQuery = `query($first: Int, $after: String) { users(first: $first, after: $after) {
		totalCount
		nodes { id }
		edges { cursor node { id } }
		pageInfo { hasNextPage endCursor } } }`
)

// legacy fixture (legacy/fixtures/legacy.sql and users.json): alice as the legacy
// Python app stored her, with a $2b$ bcrypt hash at cost 12 and a Fernet token
// over her sid signed with the legacy key.
const (
	aliceEmail    = "alice1@gmail.com"
	alicePassword = "alicepass1"
	aliceHash     = "$2b$12$7/.oLwwOVr8Iy0LTs0EJVu8RXj.nWFxVhEDAYqGrtxmJdGnh4b0lO"
	aliceSID      = "7403160892"
	aliceToken    = "gAAAAABrBzSnLZDrGxSjQWxWejsLAiFycK-OWHQFolruphdWne44e-YAhDQmGGWgqSFFmbqagtgugbBiq5PCzMkhWLDxnMPjUg=="
	aliceInfo     = `{"team": "core", "level": 3}`
)

// user is a User as the API returns it.
type user struct {
	ID       string          `json:"id"`
	Username string          `json:"username"`
	Email    string          `json:"email"`
	Info     json.RawMessage `json:"info"`
	Created  time.Time       `json:"created"`
	Modified time.Time       `json:"modified"`
}

// page is one answer of pageQuery.
type page struct {
	Users struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			ID string `json:"id"`
		} `json:"nodes"`
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID string `json:"id"`
			} `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"users"`
}

// wantError fails the test unless r failed with code as its first error's
// extensions.code, with the matching legacyCode for the service's own codes.
func wantError(t *testing.T, r apptest.GraphQLResponse, code string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("no error, want %s; data: %s", code, r.Data)
	}
	if got := r.Code(); got != code {
		t.Fatalf("extensions.code = %q, want %q; errors: %+v", got, code, r.Errors)
	}
	if want, ok := legacyCodes[code]; ok {
		got, _ := r.Errors[0].Extensions["legacyCode"].(float64)
		if int(got) != want {
			t.Errorf("extensions.legacyCode = %v, want %d", r.Errors[0].Extensions["legacyCode"], want)
		}
	}
}

// fieldsOf returns extensions.fields of the first error, as field -> messages.
func fieldsOf(t *testing.T, r apptest.GraphQLResponse) map[string][]string {
	t.Helper()
	if len(r.Errors) == 0 {
		return nil
	}
	raw, ok := r.Errors[0].Extensions["fields"]
	if !ok {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string][]string
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatalf("extensions.fields = %s, want an object of string lists: %v", b, err)
	}
	return fields
}

// wantNoData fails the test unless data is null, absent, or an object whose
// every field is null (a nullable field that failed).
func wantNoData(t *testing.T, r apptest.GraphQLResponse) {
	t.Helper()
	d := strings.TrimSpace(string(r.Data))
	if d == "" || d == "null" {
		return
	}
	var fields map[string]any
	if err := json.Unmarshal(r.Data, &fields); err != nil {
		t.Errorf("data = %s, want null", d)
		return
	}
	for name, v := range fields {
		if v != nil {
			t.Errorf("data.%s = %v, want null", name, v)
		}
	}
}

// signUp creates a user through GraphQL and returns it.
func signUp(t *testing.T, srv *apptest.Server, username, email, password string) user {
	t.Helper()
	r := srv.GraphQL(t, "", createUserMutation, map[string]any{"in": map[string]any{
		"username": username, "email": email, "password": password,
	}})
	var out struct{ CreateUser user }
	r.Decode(t, &out)
	return out.CreateUser
}

// hashOf reads the user's stored password hash from the database.
func hashOf(t *testing.T, pool *pgxpool.Pool, email string) string {
	t.Helper()
	var hash string
	if err := pool.QueryRow(t.Context(), `SELECT password FROM "user" WHERE email = $1`, email).Scan(&hash); err != nil {
		t.Fatalf("read hash of %s: %v", email, err)
	}
	return hash
}

// insertUser stores a user row directly, as the legacy app or a bulk load would.
func insertUser(t *testing.T, pool *pgxpool.Pool, username, email, hash, sid string) int32 {
	t.Helper()
	var id int32
	err := pool.QueryRow(t.Context(),
		`INSERT INTO "user" (username, email, password, sid) VALUES ($1, $2, $3, $4) RETURNING user_id`,
		username, email, hash, sid).Scan(&id)
	if err != nil {
		t.Fatalf("insert user %s: %v", email, err)
	}
	return id
}

// insertUsers stores n users directly (fast: the tests using it are about paging).
func insertUsers(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	_, err := pool.Exec(t.Context(), `INSERT INTO "user" (username, email, password, sid)
		SELECT 'bulk' || i, 'bulk' || i || '@example.com', '$2a$04$notarealhashnotarealhashnotarealhashnotarealhashnot', md5(i::text)
		FROM generate_series(1, $1::int) AS i`, n)
	if err != nil {
		t.Fatalf("insert %d users: %v", n, err)
	}
}

// allUserIDs returns the global ID of every user in the database, in
// user_id order.
func allUserIDs(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT user_id FROM "user" ORDER BY user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, model.UserGlobalID(id))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// decodeJSONNumbers decodes JSON keeping numbers exact, for comparing documents.
func decodeJSONNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func legacyKey(t *testing.T) *fernet.Key {
	t.Helper()
	k, err := fernet.DecodeKey(config.LegacyKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
