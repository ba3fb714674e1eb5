package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"users/graph/model"
	"users/internal/apptest"
	"users/internal/validate"
)

const codeResponseTooLarge = "RESPONSE_TOO_LARGE"

// pad is an info object of exactly n bytes as stored ({"pad": "aaa…"}).
func pad(n int) string { return `{"pad": "` + strings.Repeat("a", n-11) + `"}` }

// repeatJSON is a JSON array of n copies of v.
func repeatJSON(v string, n int) string {
	return "[" + strings.TrimSuffix(strings.Repeat(v+",", n), ",") + "]"
}

// TestInfoBounds: the same info gets the same answer over GraphQL and REST,
// and a refused sign-up stores nothing.
func TestInfoBounds(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	size := validate.MsgInfoSize(4096)
	tests := []struct {
		name string
		info string
		want []string // nil: accepted
	}{
		{"at the size bound", pad(4096), nil},
		{"over the size bound", pad(4097), []string{size}},
		{"HTML characters count as encoded (6 bytes each)", `{"p": "` + strings.Repeat("<", 700) + `"}`, []string{size}},
		{"twenty 1e131071", `{"n": ` + repeatJSON("1e131071", 20) + `}`, []string{size, validate.MsgInfoNumber}},
		{"an integer of 400 digits", `{"n": ` + strings.Repeat("9", 400) + `}`, []string{validate.MsgInfoNumber}},
		{"1e-400", `{"n": 1e-400}`, []string{validate.MsgInfoNumber}},
		{"fourteen 1e300 (301 digits each)", `{"n": ` + repeatJSON("1e300", 14) + `}`, []string{size}},
		{"1e300 alone", `{"n": 1e300}`, nil},
		{"nested too deep", strings.Repeat(`{"a": `, validate.MaxInfoDepth+1) + "1" + strings.Repeat("}", validate.MaxInfoDepth+1), []string{validate.MsgInfoDepth}},
		{"too many items", `{"a": ` + repeatJSON("0", validate.MaxInfoValues) + `}`, []string{validate.MsgInfoValues}},
		{"a profile", `{"phone": "123", "address": {"city": "Köln", "zip": 50667}, "tags": ["a", "b"], "score": 1.5e-3}`, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := fmt.Sprintf(`{"username": "bounds", "email": "gql%d@example.com", "password": "bounds123", "info": %s}`, i, tt.info)
			r := srv.GraphQLRaw(t, nil, `{"query": "mutation($in: CreateUserInput!) { createUser(input: $in) { info } }", "variables": {"in": `+in+`}}`)
			restIn := fmt.Sprintf(`{"username": "bounds", "email": "rest%d@example.com", "password": "bounds123", "info": %s}`, i, tt.info)
			status, _, body := srv.Do(t, http.MethodPost, "/v1/users", http.Header{"Content-Type": {"application/json"}}, restIn)
			env := apptest.DecodeEnvelope(t, body)
			if tt.want == nil {
				if len(r.Errors) > 0 || status != http.StatusOK {
					t.Fatalf("GraphQL errors %+v; REST %d %s; want both accepted", r.Errors, status, body)
				}
				var out struct {
					CreateUser struct{ Info json.RawMessage }
				}
				r.Decode(t, &out)
				if got, want := decodeJSONNumbers(t, out.CreateUser.Info), decodeJSONNumbers(t, []byte(tt.info)); !numbersEqual(got, want) {
					t.Errorf("info read back = %.200s, want %.200s", out.CreateUser.Info, tt.info)
				}
				return
			}
			wantError(t, r, codeInvalid)
			if got := fieldsOf(t, r); !reflect.DeepEqual(got, map[string][]string{"info": tt.want}) {
				t.Errorf("GraphQL fields = %q, want info: %q", got, tt.want)
			}
			var wantDesc any = tt.want[0]
			if len(tt.want) > 1 {
				wantDesc = toAny(tt.want)
			}
			if status != http.StatusBadRequest || env.Meta.Code != 88 || !reflect.DeepEqual(env.Meta.Description, map[string]any{"info": wantDesc}) {
				t.Errorf("REST = %d %s, want 400/88 with info: %q", status, body, tt.want)
			}
			var n int
			if err := srv.Pool.QueryRow(t.Context(), `SELECT count(*) FROM "user" WHERE email IN ($1, $2)`,
				fmt.Sprintf("gql%d@example.com", i), fmt.Sprintf("rest%d@example.com", i)).Scan(&n); err != nil || n != 0 {
				t.Errorf("%d refused users stored (%v)", n, err)
			}
		})
	}

	// GraphQL literals: gqlgen reads a number literal as int64 or float64 and
	// fails validation on one that neither holds, before any resolver runs.
	literals := []struct {
		name, info, code string
	}{
		{"1e131071", `{n: 1e131071}`, codeValidation},
		{"an integer of 400 digits", `{n: ` + strings.Repeat("9", 400) + `}`, codeValidation},
		{"fourteen 1e300", `{n: ` + repeatJSON("1e300", 14) + `}`, codeInvalid},
		{"nested too deep", strings.Repeat(`{a: `, validate.MaxInfoDepth+1) + "1" + strings.Repeat("}", validate.MaxInfoDepth+1), codeInvalid},
	}
	for i, tt := range literals {
		t.Run("literal "+tt.name, func(t *testing.T) {
			q := fmt.Sprintf(`mutation { createUser(input: {username: "bounds", email: "literal%d@example.com", password: "bounds123", info: %s}) { id } }`, i, tt.info)
			doc, err := json.Marshal(map[string]string{"query": q})
			if err != nil {
				t.Fatal(err)
			}
			r := srv.GraphQLRaw(t, nil, string(doc))
			wantError(t, r, tt.code)
			wantNoData(t, r)
		})
	}
}

// numbersEqual compares decoded JSON whose numbers may be written
// differently (PostgreSQL writes 1e300 in full, 1.5e-3 as 0.0015).
func numbersEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		b, ok := b.(json.Number)
		x, errA := a.Float64()
		y, errB := b.Float64()
		return ok && errA == nil && errB == nil && x == y
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if !numbersEqual(v, b[k]) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !numbersEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestResponseLimit: rows stored before the info bound (legacy data) still
// read, while one GraphQL answer never holds more than
// GRAPHQL_MAX_RESPONSE_BYTES: over it, the answer is one RESPONSE_TOO_LARGE
// error and no data.
func TestResponseLimit(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.GraphQLMaxResponseBytes = 64 << 10
	srv := apptest.Start(t, cfg)
	signUp(t, srv, "limited", "limited@example.com", "limited123")
	token := srv.Login(t, "limited@example.com", "limited123")
	legacy := func(email, info string) string {
		t.Helper()
		var id int32
		if err := srv.Pool.QueryRow(t.Context(), `INSERT INTO "user" (username, email, password, sid, info)
			VALUES ('legacy', $1::text, 'x', md5($1::text), $2::jsonb) RETURNING user_id`, email, info).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(id)
	}
	big := pad(40 << 10) // over INFO_MAX_BYTES, under the response limit
	bigID := legacy("big1@example.com", big)
	legacy("big2@example.com", big)
	hugeID := legacy("huge@example.com", `{"n": [1e131071]}`) // 131,072 digits as PostgreSQL writes it

	t.Run("a legacy row over the info bound reads", func(t *testing.T) {
		var out struct {
			User struct{ Info json.RawMessage }
		}
		srv.GraphQL(t, token, `query($id: ID!) { user(id: $id) { info } }`, map[string]any{"id": bigID}).Decode(t, &out)
		if !reflect.DeepEqual(decodeJSONNumbers(t, out.User.Info), decodeJSONNumbers(t, []byte(big))) {
			t.Errorf("info = %.100s…, want the stored 40 KiB", out.User.Info)
		}
	})
	t.Run("a legacy row over the response limit reads over REST", func(t *testing.T) {
		status, _, body := srv.Do(t, http.MethodGet, "/v1/users/"+hugeID, http.Header{"Authorization": {token}}, "")
		if status != http.StatusOK || !strings.Contains(string(body), `"n": [1`+strings.Repeat("0", 131071)+`]`) {
			t.Errorf("GET /v1/users/%s = %d, %d bytes; want 200 with every digit", hugeID, status, len(body))
		}
	})

	tooLarge := []struct{ name, query string }{
		{"a legacy row over the limit", `{ user(id: "` + hugeID + `") { info } }`},
		{"two rows that fit alone", `{ a: user(id: "` + bigID + `") { info } b: user(id: "` + bigID + `") { info } }`},
		{"a page over the limit, info or not", `{ users(first: 10) { nodes { id } } }`},
		{"eight aliases of a row that fits alone", "{" + aliasesOf(8, `user(id: "`+bigID+`") { info }`) + " }"},
	}
	for _, tt := range tooLarge {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, token, tt.query, nil)
			wantError(t, r, codeResponseTooLarge)
			if len(r.Errors) != 1 || string(r.Data) != "null" {
				t.Errorf("errors %+v, data %.100s; want one error and null data", r.Errors, r.Data)
			}
		})
	}

	t.Run("a large answer without info", func(t *testing.T) {
		// 100 users with 300-character emails: four pages of emails are
		// 120 KB, over the limit, with no info to charge.
		if _, err := srv.Pool.Exec(t.Context(), `INSERT INTO "user" (username, email, password, sid)
			SELECT 'long', repeat('e', 290) || i || '@example.com', 'x', md5(i::text) FROM generate_series(1, 100) AS i`); err != nil {
			t.Fatal(err)
		}
		id, err := strconv.ParseInt(hugeID, 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		page := `users(first: 100, after: "` + model.UserCursor(int32(id)) + `") { nodes { email } }`
		var out struct {
			A struct{ Nodes []struct{ Email string } }
		}
		srv.GraphQL(t, token, "{ a: "+page+" }", nil).Decode(t, &out)
		if len(out.A.Nodes) != 100 {
			t.Fatalf("one page: %d users, want 100", len(out.A.Nodes))
		}
		r := srv.GraphQL(t, token, "{"+aliasesOf(4, page)+" }", nil)
		wantError(t, r, codeResponseTooLarge)
		wantNoData(t, r)
	})
}

// aliasesOf returns field n times under the aliases a0, a1, ...
func aliasesOf(n int, field string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	return b.String()
}
