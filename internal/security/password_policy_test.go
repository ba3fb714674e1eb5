package security_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"users/internal/apptest"
	"users/internal/testdb"
	"users/internal/validate"
)

const createUser = `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`

// signUpBoth signs up the same password over REST and over GraphQL (with
// emails made from name) and returns each transport's password messages: nil
// when the sign-up succeeded. REST's description (one message as a string,
// several as a list) is read as a list.
func signUpBoth(t *testing.T, srv *apptest.Server, name, password string) (rest, graphql []string) {
	t.Helper()
	restEmail, gqlEmail := name+"-rest@example.com", name+"-gql@example.com"
	body, _ := json.Marshal(map[string]any{"username": "policy", "email": restEmail, "password": password})
	status, _, b := srv.Do(t, http.MethodPost, "/v1/users", http.Header{"Content-Type": {"application/json"}}, string(body))
	var env apptest.Envelope
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("REST sign-up: %d %s", status, b)
	}
	switch {
	case status == http.StatusOK && env.Meta.Code == 200:
	case status == http.StatusBadRequest && env.Meta.Code == 88:
		desc, _ := env.Meta.Description.(map[string]any)
		if len(desc) != 1 {
			t.Fatalf("REST sign-up: description %v, want problems with the password only", env.Meta.Description)
		}
		switch v := desc["password"].(type) {
		case string:
			rest = []string{v}
		case []any:
			for _, m := range v {
				rest = append(rest, fmt.Sprint(m))
			}
		}
	default:
		t.Fatalf("REST sign-up: %d %s", status, b)
	}

	r := srv.GraphQL(t, "", createUser, map[string]any{"in": map[string]any{"username": "policy", "email": gqlEmail, "password": password}})
	switch {
	case len(r.Errors) == 0:
	case r.Code() == "INVALID_PARAMETER":
		raw, _ := json.Marshal(r.Errors[0].Extensions["fields"])
		var fields map[string][]string
		if err := json.Unmarshal(raw, &fields); err != nil || len(fields) != 1 {
			t.Fatalf("GraphQL sign-up: fields %s, want problems with the password only", raw)
		}
		graphql = fields["password"]
	default:
		t.Fatalf("GraphQL sign-up: %+v", r.Errors)
	}
	return rest, graphql
}

// TestPasswordPolicy signs up over both transports under each
// PASSWORD_POLICY: both give the same messages, and an accepted password
// logs in.
func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	regex := validate.MsgRegex(validate.PasswordPattern)
	tests := []struct {
		name     string
		password string
		legacy   []string // messages under PASSWORD_POLICY=legacy; nil: accepted
		modern   []string // under modern
	}{
		{"8 letters and digits", "test1234", nil, []string{"min length is 12"}},
		{"common and short", "password", nil, []string{"min length is 12"}},
		{"15, the legacy maximum", "a2345678901234_", nil, nil},
		{"common and long enough", "password1234", nil, []string{"password is too common"}},
		{"common in capitals", "PASSWORD1234", nil, []string{"password is too common"}},
		{"passphrase", "correct horse battery staple", []string{regex}, nil},
		{"symbols", "zq8#Lm2!vR4&", []string{regex}, nil},
		{"12 umlauts", strings.Repeat("ü", 12), []string{regex}, nil},
		{"128 characters", strings.Repeat("horse ", 21) + "ab", []string{regex, "max length is 64"}, nil},
		{"129 characters", strings.Repeat("horse ", 21) + "abc", []string{regex, "max length is 64"}, []string{"max length is 128"}},
		{"7 characters", "abc1234", []string{"min length is 8"}, []string{"min length is 12"}},
	}
	for _, policy := range []validate.PasswordPolicy{validate.PasswordLegacy, validate.PasswordModern} {
		t.Run(policy.String(), func(t *testing.T) {
			t.Parallel()
			cfg := apptest.Config()
			cfg.PasswordPolicy = policy
			srv := apptest.Start(t, cfg)
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					want := tt.legacy
					if policy == validate.PasswordModern {
						want = tt.modern
					}
					rest, graphql := signUpBoth(t, srv, fmt.Sprintf("case%d", i), tt.password)
					if !reflect.DeepEqual(rest, want) || !reflect.DeepEqual(graphql, want) {
						t.Errorf("password messages: REST %q, GraphQL %q; want %q on both", rest, graphql, want)
					}
					if want != nil {
						return
					}
					for _, email := range []string{fmt.Sprintf("case%d-rest@example.com", i), fmt.Sprintf("case%d-gql@example.com", i)} {
						if srv.Login(t, email, tt.password) == "" {
							t.Errorf("%s cannot log in", email)
						}
					}
				})
			}
		})
	}
}

// TestPasswordPolicyKeepsStoredPasswords switches the policy on one database
// both ways: a password stored under one policy logs in under the other, over
// both transports, since the policy applies to new passwords only.
func TestPasswordPolicyKeepsStoredPasswords(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	legacyCfg, modernCfg := apptest.Config(), apptest.Config()
	modernCfg.PasswordPolicy = validate.PasswordModern
	legacy := apptest.StartOn(t, legacyCfg, pool)
	modern := apptest.StartOn(t, modernCfg, pool)

	legacy.SignUp(t, "olduser", "old@example.com", "test1234")
	modern.SignUp(t, "newuser", "new@example.com", "correct horse battery staple")

	tests := []struct {
		name            string
		srv             *apptest.Server
		email, password string
	}{
		{"legacy password under modern", modern, "old@example.com", "test1234"},
		{"modern password under legacy", legacy, "new@example.com", "correct horse battery staple"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.srv.Login(t, tt.email, tt.password) == "" {
				t.Error("GraphQL login: no token")
			}
			q := "/v1/users/self/login?email=" + tt.email + "&password=" + strings.ReplaceAll(tt.password, " ", "+")
			status, _, b := tt.srv.Do(t, http.MethodGet, q, nil, "")
			if status != http.StatusOK || !strings.Contains(string(b), `"token": "gAAAAA`) {
				t.Errorf("REST login = %d %s", status, b)
			}
		})
	}
}

// TestModernPasswordOver72Bytes documents what bcrypt's 72-byte input means
// for long passphrases, which the modern policy accepts up to 128 characters:
// the first 72 bytes are what is checked at login.
func TestModernPasswordOver72Bytes(t *testing.T) {
	t.Parallel()
	cfg := apptest.Config()
	cfg.PasswordPolicy = validate.PasswordModern
	srv := apptest.Start(t, cfg)
	first72 := strings.Repeat("long passphrase ", 4) + "ab cd ef" // 72 bytes
	password := first72 + " and a tail past byte 72"              // 96 bytes
	srv.SignUp(t, "longpass", "long@example.com", password)

	tests := []struct {
		name     string
		password string
		want     string // extensions.code; "" for success
	}{
		{"the whole passphrase", password, ""},
		{"its first 72 bytes with another tail", first72 + " and any other tail", ""},
		{"a change within the first 72 bytes", "L" + password[1:], "PASSWORD_NOT_MATCH"},
		{"71 bytes", first72[:71], "PASSWORD_NOT_MATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := srv.GraphQL(t, "", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
				map[string]any{"e": "long@example.com", "p": tt.password})
			if r.Code() != tt.want {
				t.Errorf("login: code %q, want %q; errors %+v", r.Code(), tt.want, r.Errors)
			}
		})
	}
}
