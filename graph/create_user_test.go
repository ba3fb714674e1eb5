package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"users/graph/model"
	"users/internal/apptest"
	"users/internal/validate"
)

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
		if id, ok := model.ParseUserGlobalID(got.ID); !ok || id <= 0 {
			t.Errorf("id = %q, want the global ID of a positive user_id", got.ID)
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
