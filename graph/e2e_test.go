package graph_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"golang.org/x/crypto/bcrypt"

	"users/graph"
	"users/graph/model"
	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
	"users/internal/validate"
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

// sidOf reads the user's current session id from the database.
func sidOf(t *testing.T, pool *pgxpool.Pool, email string) string {
	t.Helper()
	var sid string
	if err := pool.QueryRow(t.Context(), `SELECT sid FROM "user" WHERE email = $1`, email).Scan(&sid); err != nil {
		t.Fatalf("read sid of %s: %v", email, err)
	}
	return sid
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

// allUserIDs returns every user id in the database, in increasing order.
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
		ids = append(ids, strconv.Itoa(int(id)))
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

// mintToken signs sid with key at the given time, as Tokens.Issue would have then.
func mintToken(t *testing.T, sid string, key *fernet.Key, at time.Time) string {
	t.Helper()
	tok, err := fernet.EncryptAndSignAtTime([]byte(sid), key, at)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())

	t.Run("success with info round trip", func(t *testing.T) {
		const infoJSON = `{"team":"core","level":3,"big":12345678901234567890,"ratio":1.5,"none":null,
			"nested":{"tags":["a","b"],"deep":{"ok":true,"n":-7}},"list":[1,{"x":"y"},[]]}`
		info := decodeJSONNumbers(t, []byte(infoJSON))
		before := time.Now().Add(-time.Minute)
		r := srv.GraphQL(t, "", createUserMutation, map[string]any{"in": map[string]any{
			"username": "carol", "email": "carol@example.com", "password": "carolpass1", "info": info,
		}})
		var out struct{ CreateUser user }
		r.Decode(t, &out)
		got := out.CreateUser

		if got.Username != "carol" || got.Email != "carol@example.com" {
			t.Errorf("username, email = %q, %q; want carol, carol@example.com", got.Username, got.Email)
		}
		if id, err := strconv.Atoi(got.ID); err != nil || id <= 0 {
			t.Errorf("id = %q, want a positive integer", got.ID)
		}
		if !bytes.Contains(got.Info, []byte("12345678901234567890")) {
			t.Errorf("info = %s, want the big integer 12345678901234567890 written exactly", got.Info)
		}
		if g := decodeJSONNumbers(t, got.Info); !reflect.DeepEqual(g, info) {
			t.Errorf("info = %s, want %s", got.Info, infoJSON)
		}
		after := time.Now().Add(time.Minute)
		for name, ts := range map[string]time.Time{"created": got.Created, "modified": got.Modified} {
			if ts.Before(before) || ts.After(after) {
				t.Errorf("%s = %v, want about now", name, ts)
			}
		}

		// The stored jsonb keeps the integer exactly too.
		var stored string
		if err := srv.Pool.QueryRow(t.Context(), `SELECT info->>'big' FROM "user" WHERE email = 'carol@example.com'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != "12345678901234567890" {
			t.Errorf("stored info.big = %s, want 12345678901234567890", stored)
		}

		// Read back through login and user(id): the same user, the same info.
		token := srv.Login(t, "carol@example.com", "carolpass1")
		var read struct{ User *user }
		srv.GraphQL(t, token, userQuery, map[string]any{"id": got.ID}).Decode(t, &read)
		if read.User == nil {
			t.Fatalf("user(id: %s) = null, want the new user", got.ID)
		}
		if g := decodeJSONNumbers(t, read.User.Info); !reflect.DeepEqual(g, info) {
			t.Errorf("info read back = %s, want %s", read.User.Info, infoJSON)
		}
		if read.User.ID != got.ID || read.User.Username != got.Username || !read.User.Created.Equal(got.Created) {
			t.Errorf("user read back = %+v, want %+v", *read.User, got)
		}
	})

	t.Run("no info is null", func(t *testing.T) {
		for _, in := range []map[string]any{
			{"username": "dave", "email": "dave@example.com", "password": "davepass12"},
			{"username": "erin", "email": "erin@example.com", "password": "erinpass12", "info": nil},
		} {
			var out struct{ CreateUser user }
			srv.GraphQL(t, "", createUserMutation, map[string]any{"in": in}).Decode(t, &out)
			if got := string(out.CreateUser.Info); got != "null" {
				t.Errorf("info for %v = %s, want null", in, got)
			}
		}
	})

	t.Run("integers in a query literal", func(t *testing.T) {
		// In the document rather than in variables: int64 values are kept exactly;
		// a larger one is refused by the GraphQL validator (a client error, not
		// INTERNAL). Variables, above, keep any size.
		tests := []struct {
			name, info, want, code string
		}{
			{"int64 max", `{big: 9223372036854775807, small: 7}`, `{"big":9223372036854775807,"small":7}`, ""},
			{"beyond int64", `{big: 12345678901234567890}`, "", codeValidation},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := srv.GraphQL(t, "", fmt.Sprintf(`mutation { createUser(input: {username: "frank", email: "frank%d@example.com",
					password: "frankpass1", info: %s}) { info } }`, i, tt.info), nil)
				if tt.code != "" {
					wantError(t, r, tt.code)
					return
				}
				var out struct {
					CreateUser struct{ Info json.RawMessage }
				}
				r.Decode(t, &out)
				if got, want := decodeJSONNumbers(t, out.CreateUser.Info), decodeJSONNumbers(t, []byte(tt.want)); !reflect.DeepEqual(got, want) {
					t.Errorf("info = %s, want %s", out.CreateUser.Info, tt.want)
				}
			})
		}
	})
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())

	emailRegex := validate.MsgRegex(validate.EmailPattern)
	passwordRegex := validate.MsgRegex(validate.PasswordPattern)
	valid := map[string]any{"username": "validuser", "email": "valid@example.com", "password": "validpass1"}
	with := func(field string, v any) map[string]any {
		in := maps.Clone(valid)
		in[field] = v
		return in
	}

	tests := []struct {
		name  string
		field string
		value string
		want  []string // the field's messages; nil: accepted
	}{
		{"username of 4 ok", "username", "abcd", nil},
		{"username of 3", "username", "abc", []string{"min length is 4"}},
		{"username of 20 ok", "username", strings.Repeat("u", 20), nil},
		{"username of 21", "username", strings.Repeat("u", 21), []string{"max length is 20"}},
		{"multibyte username ok", "username", "Jürgen", nil},
		{"four 2-byte letters ok", "username", "éééé", nil},
		{"three 2-byte letters", "username", "ééé", []string{"min length is 4"}},
		{"twenty 2-byte letters ok", "username", strings.Repeat("é", 20), nil},
		{"twenty-one 2-byte letters", "username", strings.Repeat("é", 21), []string{"max length is 20"}},
		{"empty username", "username", "", []string{"min length is 4"}},

		{"email ok", "email", "first.last-1_x@mail.example.co", nil},
		{"email without at", "email", "not-an-email", []string{emailRegex}},
		{"email with 5-letter tld", "email", "a@example.abcde", []string{emailRegex}},
		{"email with non-ascii", "email", "jürgen@web.de", []string{emailRegex}},
		{"email with trailing newline", "email", "a@example.com\n", []string{emailRegex}},
		{"email of 320 ok", "email", strings.Repeat("a", 308) + "@example.com", nil},
		{"email of 321", "email", strings.Repeat("a", 309) + "@example.com", []string{"max length is 320"}},

		{"password of 15 ok", "password", "abcdefgh1234567", nil},
		{"password of 8 ok", "password", "abcd1234", nil},
		{"unicode word characters ok", "password", "pässwört12", nil},
		{"underscore ok", "password", "abc_1234", nil},
		{"password of 7", "password", "abcd123", []string{"min length is 8"}},
		{"password of 3", "password", "abc", []string{passwordRegex, "min length is 8"}},
		{"password of 16", "password", "abcdefgh12345678", []string{passwordRegex}},
		{"password of 65", "password", strings.Repeat("a", 65), []string{passwordRegex, "max length is 64"}},
		{"password starting with non-ascii", "password", "äpfel1234", []string{passwordRegex}},
		{"password with trailing newline", "password", "abcd1234\n", []string{passwordRegex}},
		{"password with space", "password", "abcd 1234", []string{passwordRegex}},
		{"password with symbol", "password", "abcd1234!", []string{passwordRegex}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := with(tt.field, tt.value)
			if tt.field != "email" {
				in["email"] = fmt.Sprintf("case%d@example.com", i)
			}
			r := srv.GraphQL(t, "", createUserMutation, map[string]any{"in": in})
			if tt.want == nil {
				var out struct{ CreateUser user }
				r.Decode(t, &out)
				if out.CreateUser.Username != in["username"] || out.CreateUser.Email != in["email"] {
					t.Errorf("created %q <%s>, want %q <%s>", out.CreateUser.Username, out.CreateUser.Email, in["username"], in["email"])
				}
				return
			}
			wantError(t, r, codeInvalid)
			wantNoData(t, r)
			if got, want := fieldsOf(t, r), map[string][]string{tt.field: tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("extensions.fields = %q, want %q", got, want)
			}
			var n int
			if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user" WHERE email = $1`, in["email"]).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("%d rows stored for a refused user, want 0", n)
			}
		})
	}

	t.Run("every field wrong", func(t *testing.T) {
		r := srv.GraphQL(t, "", createUserMutation, map[string]any{"in": map[string]any{"username": "ab", "email": "x", "password": "p"}})
		wantError(t, r, codeInvalid)
		want := map[string][]string{
			"username": {"min length is 4"},
			"email":    {emailRegex},
			"password": {passwordRegex, "min length is 8"},
		}
		if got := fieldsOf(t, r); !reflect.DeepEqual(got, want) {
			t.Errorf("extensions.fields = %q, want %q", got, want)
		}
	})

	// Values the rules allow but PostgreSQL cannot store are the client's
	// mistake: INVALID_PARAMETER, not INTERNAL.
	unstorable := []struct {
		name string
		in   map[string]any
	}{
		{"NUL in username", with("username", "ab\x00cd")},
		{"NUL in info text", with("info", map[string]any{"note": "a\x00b"})},
	}
	for _, tt := range unstorable {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, "", createUserMutation, map[string]any{"in": tt.in})
			wantError(t, r, codeInvalid)
			wantNoData(t, r)
		})
	}

	t.Run("info not an object", func(t *testing.T) {
		r := srv.GraphQL(t, "", createUserMutation, map[string]any{"in": with("info", "text")})
		if len(r.Errors) == 0 {
			t.Fatalf("no error, want one; data: %s", r.Data)
		}
		if c := r.Code(); c == codeInternal || c == "" {
			t.Errorf("extensions.code = %q, want a client error; errors: %+v", c, r.Errors)
		}
		wantNoData(t, r)
	})

	if got := srv.Logs.String(); strings.Contains(got, `"level":"ERROR"`) {
		t.Errorf("the service logged an error for client mistakes:\n%s", got)
	}
}

func TestCreateUserDuplicate(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	signUp(t, srv, "first", "dup@example.com", "firstpass1")

	tests := []struct {
		name     string
		username string
		password string
	}{
		{"same everything", "first", "firstpass1"},
		{"other name and password", "second", "secondpass2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": createUserMutation, "variables": map[string]any{"in": map[string]any{
				"username": tt.username, "email": "dup@example.com", "password": tt.password,
			}}})
			_, _, b := srv.Do(t, http.MethodPost, "/graphql", http.Header{"Content-Type": {"application/json"}}, string(body))
			var r apptest.GraphQLResponse
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			wantError(t, r, codeDuplicate)
			wantNoData(t, r)
			for _, secret := range []string{tt.password, "firstpass1", "$2"} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("response contains %q: %s", secret, b)
				}
			}
			// PostgreSQL's wording (constraint name, DETAIL line) is the
			// legacy REST answer's business, not GraphQL's.
			if got := r.Errors[0].Message; got != "email already registered" {
				t.Errorf("message = %q, want %q", got, "email already registered")
			}
			if got, want := fieldsOf(t, r), map[string][]string{"email": {"already registered"}}; !reflect.DeepEqual(got, want) {
				t.Errorf("extensions.fields = %q, want %q", got, want)
			}
			for _, pg := range []string{"user_email_key", "DETAIL", "duplicate key", "constraint"} {
				if bytes.Contains(b, []byte(pg)) {
					t.Errorf("response repeats PostgreSQL's text %q: %s", pg, b)
				}
			}
		})
	}
	var n int
	if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user" WHERE email = 'dup@example.com'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d users with the email, want 1", n)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	created := signUp(t, srv, "grace", "grace@example.com", "gracepass1")

	t.Run("success", func(t *testing.T) {
		before := time.Now()
		r := srv.GraphQL(t, "", loginMutation, map[string]any{"e": "grace@example.com", "p": "gracepass1"})
		after := time.Now()
		var out struct {
			Login struct {
				Token     string
				ExpiresAt *time.Time
				User      user
			}
		}
		r.Decode(t, &out)
		if out.Login.Token == "" {
			t.Error("token is empty")
		}
		if exp := out.Login.ExpiresAt; exp == nil {
			t.Error("expiresAt = null, want now + 1h (TOKEN_TTL)")
		} else if lo, hi := before.Add(time.Hour-time.Second), after.Add(time.Hour); exp.Before(lo) || exp.After(hi) {
			t.Errorf("expiresAt = %v, want between %v and %v", exp, lo, hi)
		}
		if u := out.Login.User; u.ID != created.ID || u.Username != "grace" || u.Email != "grace@example.com" {
			t.Errorf("user = %+v, want %+v", u, created)
		}
		var me struct{ Me user }
		srv.GraphQL(t, out.Login.Token, meQuery, nil).Decode(t, &me)
		if me.Me.ID != created.ID {
			t.Errorf("me with the new token = %s, want %s", me.Me.ID, created.ID)
		}
	})

	t.Run("token never expires with TOKEN_TTL 0", func(t *testing.T) {
		cfg := apptest.Config()
		cfg.TokenTTL = 0
		srv := apptest.Start(t, cfg)
		signUp(t, srv, "heidi", "heidi@example.com", "heidipass1")
		var out struct {
			Login struct{ ExpiresAt *time.Time }
		}
		srv.GraphQL(t, "", loginMutation, map[string]any{"e": "heidi@example.com", "p": "heidipass1"}).Decode(t, &out)
		if out.Login.ExpiresAt != nil {
			t.Errorf("expiresAt = %v, want null", out.Login.ExpiresAt)
		}
	})

	failures := []struct {
		name       string
		email      string
		password   string
		code       string
		wantFields map[string][]string
	}{
		{"wrong password", "grace@example.com", "wrongpass1", codePasswordNoMatch, nil},
		{"password of another case", "grace@example.com", "GRACEPASS1", codePasswordNoMatch, nil},
		{"unknown email", "nobody@example.com", "gracepass1", codeUserNotExists, nil},
		{"email of another case", "GRACE@example.com", "gracepass1", codeUserNotExists, nil},
		{"empty email", "", "gracepass1", codeInvalid, map[string][]string{"email": {validate.MsgRequired}}},
		{"empty password", "grace@example.com", "", codeInvalid, map[string][]string{"password": {validate.MsgRequired}}},
		{"both empty", "", "", codeInvalid, map[string][]string{"email": {validate.MsgRequired}, "password": {validate.MsgRequired}}},
		{"NUL in email", "gr\x00ace@example.com", "gracepass1", codeInvalid, nil},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, "", loginMutation, map[string]any{"e": tt.email, "p": tt.password})
			wantError(t, r, tt.code)
			wantNoData(t, r)
			if tt.wantFields != nil {
				if got := fieldsOf(t, r); !reflect.DeepEqual(got, tt.wantFields) {
					t.Errorf("extensions.fields = %q, want %q", got, tt.wantFields)
				}
			}
		})
	}
}

// authOperations are the operations that need a token; each selects only
// what a denied request cannot reveal anyway.
var authOperations = []struct{ name, query string }{
	{"users", `{ users { nodes { id } } }`},
	{"user", `{ user(id: "1") { id } }`},
	{"me", `{ me { id } }`},
	{"logout", `mutation { logout }`},
}

func TestTokens(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	alice := signUp(t, srv, "alice", "alice@example.com", "alicepass1")
	signUp(t, srv, "bob.smith", "bob@example.com", "bobsecret9")
	token := srv.Login(t, "alice@example.com", "alicepass1")
	sid := sidOf(t, srv.Pool, "alice@example.com")

	var otherKey fernet.Key
	if err := otherKey.Generate(); err != nil {
		t.Fatal(err)
	}
	// Two users sharing a legacy-style sid: a token over it must not pick one.
	insertUser(t, srv.Pool, "twin1", "twin1@example.com", hashOf(t, srv.Pool, "alice@example.com"), "5555555555")
	insertUser(t, srv.Pool, "twin2", "twin2@example.com", hashOf(t, srv.Pool, "alice@example.com"), "5555555555")

	refused := []struct{ name, header string }{
		{"missing", ""},
		{"garbage", "not-a-token"},
		{"bearer garbage", "Bearer not-a-token"},
		{"bearer alone", "Bearer"},
		{"signed by another key", mintToken(t, sid, &otherKey, time.Now())},
		{"expired", mintToken(t, sid, legacyKey(t), time.Now().Add(-2*time.Hour))},
		{"issued in the future", mintToken(t, sid, legacyKey(t), time.Now().Add(10*time.Minute))},
		{"unknown sid", mintToken(t, "0000000000", legacyKey(t), time.Now())},
		{"sid of two users", mintToken(t, "5555555555", legacyKey(t), time.Now())},
		{"truncated", token[:len(token)-4]},
		{"basic scheme", "Basic " + token},
	}
	for _, tt := range refused {
		for _, op := range authOperations {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				r := srv.GraphQL(t, tt.header, op.query, nil)
				wantError(t, r, codeUnauthenticated)
				wantNoData(t, r)
			})
		}
	}

	accepted := []struct{ name, header string }{
		{"raw", token},
		{"bearer", "Bearer " + token},
		{"lower-case bearer", "bearer " + token},
		{"bearer with extra spaces", "Bearer   " + token + " "},
		{"minted now with the legacy key", mintToken(t, sid, legacyKey(t), time.Now())},
		{"minted 50 minutes ago", mintToken(t, sid, legacyKey(t), time.Now().Add(-50*time.Minute))},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			var out struct{ Me user }
			srv.GraphQL(t, tt.header, meQuery, nil).Decode(t, &out)
			if out.Me.ID != alice.ID {
				t.Errorf("me = %s, want %s", out.Me.ID, alice.ID)
			}
		})
	}

	t.Run("bad token does not stop sign-up or login", func(t *testing.T) {
		r := srv.GraphQL(t, "not-a-token", createUserMutation, map[string]any{"in": map[string]any{
			"username": "ivan", "email": "ivan@example.com", "password": "ivanpass12",
		}})
		if len(r.Errors) > 0 {
			t.Fatalf("createUser with a bad token: %+v", r.Errors)
		}
		r = srv.GraphQL(t, "not-a-token", loginMutation, map[string]any{"e": "ivan@example.com", "p": "ivanpass12"})
		if len(r.Errors) > 0 {
			t.Fatalf("login with a bad token: %+v", r.Errors)
		}
	})
}

func TestLogoutRevokesEveryToken(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	alice := signUp(t, srv, "alice", "alice@example.com", "alicepass1")
	bob := signUp(t, srv, "bob.smith", "bob@example.com", "bobsecret9")
	first := srv.Login(t, "alice@example.com", "alicepass1")
	second := srv.Login(t, "alice@example.com", "alicepass1")
	bobToken := srv.Login(t, "bob@example.com", "bobsecret9")
	if first == second {
		t.Fatal("two logins gave the same token")
	}
	sidBefore := sidOf(t, srv.Pool, "alice@example.com")

	var out struct{ Logout bool }
	srv.GraphQL(t, "Bearer "+first, `mutation { logout }`, nil).Decode(t, &out)
	if !out.Logout {
		t.Fatal("logout = false, want true")
	}
	if sidOf(t, srv.Pool, "alice@example.com") == sidBefore {
		t.Error("sid unchanged after logout")
	}

	for name, token := range map[string]string{"token used to log out": first, "earlier token": second} {
		for _, op := range authOperations {
			t.Run(name+"/"+op.name, func(t *testing.T) {
				wantError(t, srv.GraphQL(t, token, op.query, nil), codeUnauthenticated)
			})
		}
	}

	t.Run("other user unaffected", func(t *testing.T) {
		var me struct{ Me user }
		srv.GraphQL(t, bobToken, meQuery, nil).Decode(t, &me)
		if me.Me.ID != bob.ID {
			t.Errorf("me = %s, want %s", me.Me.ID, bob.ID)
		}
	})

	t.Run("new login works", func(t *testing.T) {
		token := srv.Login(t, "alice@example.com", "alicepass1")
		var me struct{ Me user }
		srv.GraphQL(t, token, meQuery, nil).Decode(t, &me)
		if me.Me.ID != alice.ID {
			t.Errorf("me = %s, want %s", me.Me.ID, alice.ID)
		}
	})
}

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
		if _, err := srv.Pool.Exec(t.Context(), `DELETE FROM "user" WHERE user_id = $1`, last); err != nil {
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
			t.Errorf("b64(user:%d) = %q, model.UserCursor = %q", id, got, want)
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

func TestMe(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	users := []user{
		signUp(t, srv, "kate", "kate@example.com", "katepass12"),
		signUp(t, srv, "leo.l", "leo@example.com", "leopass123"),
	}
	passwords := []string{"katepass12", "leopass123"}
	for i, want := range users {
		t.Run(want.Username, func(t *testing.T) {
			token := srv.Login(t, want.Email, passwords[i])
			var out struct{ Me user }
			srv.GraphQL(t, token, meQuery, nil).Decode(t, &out)
			got := out.Me
			if got.ID != want.ID || got.Username != want.Username || got.Email != want.Email ||
				!got.Created.Equal(want.Created) || !got.Modified.Equal(want.Modified) {
				t.Errorf("me = %+v, want %+v", got, want)
			}
		})
	}
}

func TestPasswordHashUpgrade(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.BcryptCost = 5
	srv := apptest.Start(t, cfg)

	const email, password = "upgrade@example.com", "upgradepw1"
	old, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	insertUser(t, srv.Pool, "upgrade", email, string(old), "1111111111")

	r := srv.GraphQL(t, "", loginMutation, map[string]any{"e": email, "p": "wrongpass1"})
	wantError(t, r, codePasswordNoMatch)
	if got := hashOf(t, srv.Pool, email); got != string(old) {
		t.Fatalf("hash after a wrong password = %q, want unchanged %q", got, old)
	}

	srv.Login(t, email, password)
	upgraded := hashOf(t, srv.Pool, email)
	if cost, err := bcrypt.Cost([]byte(upgraded)); err != nil || cost != 5 {
		t.Fatalf("cost after login = %d (%v), want 5; hash %q", cost, err, upgraded)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(upgraded), []byte(password)); err != nil {
		t.Fatalf("upgraded hash does not verify the password: %v", err)
	}

	token := srv.Login(t, email, password)
	if got := hashOf(t, srv.Pool, email); got != upgraded {
		t.Errorf("hash changed again at the configured cost: %q -> %q", upgraded, got)
	}
	var me struct{ Me user }
	srv.GraphQL(t, token, meQuery, nil).Decode(t, &me)
	if me.Me.Email != email {
		t.Errorf("me = %s, want %s", me.Me.Email, email)
	}
}

func TestLegacyUser(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.TokenTTL = 0 // legacy tokens never expired
	srv := apptest.Start(t, cfg)
	_, err := srv.Pool.Exec(t.Context(), `INSERT INTO "user" (created, modified, username, email, password, info, token, sid)
		VALUES ('2026-11-25 19:19:03.505037', '2026-11-25 19:19:03.505037', 'alice', $1, $2, $3, $4, $5)`,
		aliceEmail, aliceHash, aliceInfo, aliceToken, aliceSID)
	if err != nil {
		t.Fatal(err)
	}

	// One login only: comparing against a cost-12 hash takes seconds under -race.
	// (Mismatches are covered at low cost by TestLogin and internal/auth.)
	t.Run("$2b$ hash verifies", func(t *testing.T) {
		var out struct{ Login struct{ User user } }
		srv.GraphQL(t, "", loginMutation, map[string]any{"e": aliceEmail, "p": alicePassword}).Decode(t, &out)
		u := out.Login.User
		if u.Username != "alice" || u.Email != aliceEmail {
			t.Errorf("user = %+v, want alice", u)
		}
		if got, want := decodeJSONNumbers(t, u.Info), decodeJSONNumbers(t, []byte(aliceInfo)); !reflect.DeepEqual(got, want) {
			t.Errorf("info = %s, want %s", u.Info, aliceInfo)
		}
		if want := time.Date(2026, 11, 25, 19, 19, 3, 505037000, time.UTC); !u.Created.Equal(want) {
			t.Errorf("created = %v, want %v", u.Created, want)
		}
		// A legacy hash above the configured cost is kept, not downgraded.
		if got := hashOf(t, srv.Pool, aliceEmail); got != aliceHash {
			t.Errorf("hash = %q after login, want the legacy hash kept", got)
		}
	})

	t.Run("legacy token authenticates", func(t *testing.T) {
		var out struct{ Me user }
		srv.GraphQL(t, aliceToken, meQuery, nil).Decode(t, &out)
		if out.Me.Email != aliceEmail {
			t.Errorf("me = %s, want %s", out.Me.Email, aliceEmail)
		}
	})
}

// countTokens counts the lexical tokens of a GraphQL document, as the
// parser's token limit does (comments and commas are not tokens).
func countTokens(t *testing.T, q string) int {
	t.Helper()
	lex := lexer.New(&ast.Source{Input: q})
	n := 0
	for {
		tok, err := lex.ReadToken()
		if err != nil {
			t.Fatalf("lex: %v", err)
		}
		if tok.Kind == lexer.EOF {
			return n
		}
		if tok.Kind != lexer.Comment {
			n++
		}
	}
}

// doubling returns op with n fragments on typ, each spreading the next one
// twice, the last selecting field.
func doubling(n int, typ, field, op string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on %s { ...F%d ...F%d } ", i, typ, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on %s { %s } %s", n, typ, field, op)
	return b.String()
}

// deepIntrospection returns an introspection query whose deepest field is at
// the given depth (at least 4).
func deepIntrospection(depth int) string {
	return `{ __schema { types { fields { type {` + strings.Repeat(" ofType {", depth-5) + ` name` +
		strings.Repeat(" }", depth-5) + ` } } } } }`
}

func TestLimits(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	signUp(t, srv, "limits", "limits@example.com", "limitspw1")
	token := srv.Login(t, "limits@example.com", "limitspw1")

	aliases := func(n int, field string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return b.String()
	}
	logins := func(n int) string {
		return "mutation {" + aliases(n, `login(email: "limits@example.com", password: "limitspw1") { token }`) + " }"
	}
	// document returns a createUser mutation of exactly n tokens (n > 30), most
	// of them the same field selected again and again, which costs 1 each.
	document := func(t *testing.T, n int) string {
		t.Helper()
		q := `mutation { createUser(input: {username: "tokens", email: "tokens@example.com", password: "tokenspw1",
			info: {list: [0]}}) {` + strings.Repeat(" id", n-30) + ` } }`
		if got := countTokens(t, q); got != n {
			t.Fatalf("document has %d tokens, want %d", got, n)
		}
		return q
	}

	tests := []struct {
		name   string
		query  string
		code   string // "" means it runs without error
		status int
	}{
		{"depth at the limit", deepIntrospection(graph.DefaultDepthLimit), "", http.StatusOK},
		{"depth beyond the limit", deepIntrospection(graph.DefaultDepthLimit + 1), codeTooDeep, http.StatusUnprocessableEntity},
		{"depth beyond the limit in a fragment", `query { ...F } fragment F on Query ` + deepIntrospection(graph.DefaultDepthLimit+1), codeTooDeep, http.StatusUnprocessableEntity},
		// users(first: 100) { nodes { id } } costs 1 + 1 + 100 × 1.
		{"24 full pages of ids", "{" + aliases(24, "users(first: 100) { nodes { id } }") + " }", "", http.StatusOK},
		{"25 full pages of ids", "{" + aliases(25, "users(first: 100) { nodes { id } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		// 1 + 1 + 100 × (5 + 16) + 3 + 250 = 2,355.
		{"a full page of every field and its count", fullPage, "", http.StatusOK},
		{"two full pages with info", "{" + aliases(2, "users(first: 100) { nodes { info } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		{"the page size from a variable", "query($n: Int = 100) {" + aliases(2, "users(first: $n) { nodes { info } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		// users(first: 0) { totalCount } costs 1 + 250.
		{"nine counts", "{" + aliases(9, "users(first: 0) { totalCount }") + " }", "", http.StatusOK},
		{"ten counts", "{" + aliases(10, "users(first: 0) { totalCount }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		{"info in 150 aliases", "{" + aliases(150, "me { info }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		// Each fragment spreads the next twice: 2^150 fields, walked once each.
		{"fragments doubling 150 times", doubling(150, "User", "id", "{ me { ...F0 } }"), codeComplexity, http.StatusUnprocessableEntity},
		{"page fragments doubling 150 times", doubling(150, "UserConnection", "totalCount", "{ users(first: 1) { ...F0 } }"), codeComplexity, http.StatusUnprocessableEntity},
		{"fifty default pages", "{" + aliases(50, "users { nodes { id username email } }") + " }", codeComplexity, http.StatusUnprocessableEntity},
		{"a few logins", logins(3), "", http.StatusOK},
		{"twenty logins", logins(20), codeComplexity, http.StatusUnprocessableEntity},
		{"tokens at the limit", document(t, graph.DefaultTokenLimit), "", http.StatusOK},
		{"tokens over the limit", document(t, graph.DefaultTokenLimit+1), codeParseFailed, http.StatusBadRequest},
		{"tokens far over the limit", document(t, 10*graph.DefaultTokenLimit), codeParseFailed, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, tt.query, nil)
			if r.Status != tt.status {
				t.Errorf("status = %d, want %d", r.Status, tt.status)
			}
			if tt.code == "" {
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				return
			}
			wantError(t, r, tt.code)
			wantNoData(t, r)
		})
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	const schemaQuery = `{ __schema { queryType { name } } }`
	const typeQuery = `{ __type(name: "User") { name } }`
	const typoQuery = `{ usrs { id } }`

	t.Run("on", func(t *testing.T) {
		srv := apptest.Start(t, apptest.Config())
		for _, q := range []string{schemaQuery, typeQuery} {
			if r := srv.GraphQL(t, "", q, nil); len(r.Errors) > 0 || !bytes.Contains(r.Data, []byte(`"name":"`)) {
				t.Errorf("%s: data %s, errors %+v", q, r.Data, r.Errors)
			}
		}
		r := srv.GraphQL(t, "", typoQuery, nil)
		wantError(t, r, codeValidation)
		if !strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("message = %q, want a suggestion while introspection is on", r.Errors[0].Message)
		}
	})

	t.Run("off", func(t *testing.T) {
		cfg := apptest.Config()
		cfg.Introspection = false
		srv := apptest.Start(t, cfg)
		for _, q := range []string{schemaQuery, typeQuery} {
			r := srv.GraphQL(t, "", q, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("%s: no error, data %s", q, r.Data)
			}
			if bytes.Contains(r.Data, []byte(`"name":"`)) {
				t.Errorf("%s: data %s, want no schema", q, r.Data)
			}
			if c := r.Code(); c == codeInternal {
				t.Errorf("%s: extensions.code = %q, want a client error; errors: %+v", q, c, r.Errors)
			}
		}
		r := srv.GraphQL(t, "", typoQuery, nil)
		wantError(t, r, codeValidation)
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "Did you mean") {
				t.Errorf("message = %q, want no suggestion", e.Message)
			}
		}
		if logs := srv.Logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
			t.Errorf("the service logged an error for refused introspection:\n%s", logs)
		}
	})
}

func TestGraphQLOverHTTP(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	me := signUp(t, srv, "oscar", "oscar@example.com", "oscarpass1")
	token := srv.Login(t, "oscar@example.com", "oscarpass1")
	auth := http.Header{"Authorization": {token}}

	t.Run("GET query with token", func(t *testing.T) {
		status, _, body := srv.Do(t, http.MethodGet, "/graphql?query="+url.QueryEscape("{me{id}}"), auth, "")
		if status != http.StatusOK {
			t.Fatalf("status = %d, want 200: %s", status, body)
		}
		var r struct {
			Data struct{ Me struct{ ID string } }
		}
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Data.Me.ID != me.ID {
			t.Errorf("me.id = %q, want %q: %s", r.Data.Me.ID, me.ID, body)
		}
	})

	t.Run("GET query without token", func(t *testing.T) {
		status, _, body := srv.Do(t, http.MethodGet, "/graphql?query="+url.QueryEscape("{me{id}}"), nil, "")
		var r apptest.GraphQLResponse
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("%d %s: %v", status, body, err)
		}
		wantError(t, r, codeUnauthenticated)
	})

	t.Run("GET mutation", func(t *testing.T) {
		status, h, body := srv.Do(t, http.MethodGet, "/graphql?query="+url.QueryEscape("mutation{logout}"), auth, "")
		if status != http.StatusMethodNotAllowed {
			t.Errorf("status = %d, want 405: %s", status, body)
		}
		if got := h.Get("Allow"); got != http.MethodPost {
			t.Errorf("Allow = %q, want POST", got)
		}
		// Not executed: the token still works.
		var out struct{ Me user }
		srv.GraphQL(t, token, meQuery, nil).Decode(t, &out)
	})

	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		t.Run(method, func(t *testing.T) {
			status, h, body := srv.Do(t, method, "/graphql", http.Header{"Content-Type": {"application/json"}}, `{"query":"{me{id}}"}`)
			if status != http.StatusMethodNotAllowed {
				t.Errorf("status = %d, want 405: %s", status, body)
			}
			allow := strings.Split(strings.ReplaceAll(h.Get("Allow"), " ", ""), ",")
			slices.Sort(allow)
			if want := []string{"GET", "POST"}; !slices.Equal(allow, want) {
				t.Errorf("Allow = %q, want GET, POST", h.Get("Allow"))
			}
		})
	}
}
