package validate_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"users/internal/validate"
)

// absent, as a change in signup, removes the key from the document.
type absentKey struct{}

var absent = absentKey{}

// signup returns a valid sign-up document with changes applied.
func signup(changes map[string]any) map[string]any {
	doc := map[string]any{"username": "test1", "email": "test1@gmail.com", "password": "test1234"}
	for k, v := range changes {
		if _, ok := v.(absentKey); ok {
			delete(doc, k)
			continue
		}
		doc[k] = v
	}
	return doc
}

var (
	emailRegexMsg    = validate.MsgRegex(validate.EmailPattern)
	passwordRegexMsg = validate.MsgRegex(validate.PasswordPattern)
)

func TestMessages(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"required", validate.MsgRequired, "required field"},
		{"unknown", validate.MsgUnknown, "unknown field"},
		{"string", validate.MsgString, "must be of string type"},
		{"dict", validate.MsgDict, "must be of dict type"},
		{"null", validate.MsgNull, "null value not allowed"},
		{"min length", validate.MsgMinLength(8), "min length is 8"},
		{"max length", validate.MsgMaxLength(320), "max length is 320"},
		{"email regex", emailRegexMsg, `value does not match regex '[a-zA-Z0-9._-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,4}'`},
		{"password regex", passwordRegexMsg, `value does not match regex '[0-9a-zA-Z]\w{3,14}'`},
		{"common password", validate.MsgCommonPassword, "password is too common"},
		// The legacy service's JSON text, as recorded (golden 04): the same strings once decoded.
		{"email regex as legacy JSON", emailRegexMsg, decodeJSONString(t, `"value does not match regex '[a-zA-Z0-9._-]+@(?:[a-zA-Z0-9-]+\\.)+[a-zA-Z]{2,4}'"`)},
		{"password regex as legacy JSON", passwordRegexMsg, decodeJSONString(t, `"value does not match regex '[0-9a-zA-Z]\\w{3,14}'"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func decodeJSONString(t *testing.T, s string) string {
	t.Helper()
	var out string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return out
}

func TestProblemsAdd(t *testing.T) {
	p := validate.Problems{}
	p.Add("password", "first")
	p.Add("password", "second")
	p.Add("email", "third")
	want := validate.Problems{"password": {"first", "second"}, "email": {"third"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %q, want %q", p, want)
	}
}

// TestNewUserDocument covers the shape of a REST sign-up document: what
// GraphQL's type system checks for its own requests.
func TestNewUserDocument(t *testing.T) {
	tests := []struct {
		name string
		doc  map[string]any
		want validate.Problems // nil: valid
	}{
		// Whole documents.
		{"valid", signup(nil), nil},
		{"valid with info", signup(map[string]any{"info": map[string]any{"phone": "123", "n": 1.0}}), nil},
		{"valid with empty info", signup(map[string]any{"info": map[string]any{}}), nil},
		// The values are NewUser's to check: a valid shape.
		{"legacy README example", map[string]any{"username": "t", "email": "test1@gmail.c", "password": "123"}, nil},
		{"empty document", map[string]any{}, validate.Problems{
			"username": {validate.MsgRequired}, "email": {validate.MsgRequired}, "password": {validate.MsgRequired},
		}},
		{"nil document", nil, validate.Problems{
			"username": {validate.MsgRequired}, "email": {validate.MsgRequired}, "password": {validate.MsgRequired},
		}},

		// Required and unknown fields.
		{"missing username", signup(map[string]any{"username": absent}), validate.Problems{"username": {validate.MsgRequired}}},
		{"missing email", signup(map[string]any{"email": absent}), validate.Problems{"email": {validate.MsgRequired}}},
		{"missing password", signup(map[string]any{"password": absent}), validate.Problems{"password": {validate.MsgRequired}}},
		{"unknown field", signup(map[string]any{"foo": "bar"}), validate.Problems{"foo": {validate.MsgUnknown}}},
		{"two unknown fields", signup(map[string]any{"foo": "bar", "Username": "x"}), validate.Problems{
			"foo": {validate.MsgUnknown}, "Username": {validate.MsgUnknown},
		}},
		{"unknown field with null", signup(map[string]any{"foo": nil}), validate.Problems{"foo": {validate.MsgUnknown}}},
		{"unknown field with empty name", signup(map[string]any{"": 1.0}), validate.Problems{"": {validate.MsgUnknown}}},
		{"unknown and missing", map[string]any{"user": "test1", "email": "test1@gmail.com", "password": "test1234"}, validate.Problems{
			"user": {validate.MsgUnknown}, "username": {validate.MsgRequired},
		}},

		// Wrong types: one message, no other rule.
		{"username number", signup(map[string]any{"username": 12345.0}), validate.Problems{"username": {validate.MsgString}}},
		{"username json.Number", signup(map[string]any{"username": json.Number("12345")}), validate.Problems{"username": {validate.MsgString}}},
		{"username bool", signup(map[string]any{"username": true}), validate.Problems{"username": {validate.MsgString}}},
		{"username list", signup(map[string]any{"username": []any{}}), validate.Problems{"username": {validate.MsgString}}},
		{"username dict", signup(map[string]any{"username": map[string]any{"a": "b"}}), validate.Problems{"username": {validate.MsgString}}},
		{"email number", signup(map[string]any{"email": 12345.0}), validate.Problems{"email": {validate.MsgString}}},
		{"email bool", signup(map[string]any{"email": false}), validate.Problems{"email": {validate.MsgString}}},
		{"email list of strings", signup(map[string]any{"email": []any{"test1@gmail.com"}}), validate.Problems{"email": {validate.MsgString}}},
		{"password number", signup(map[string]any{"password": 12345678.0}), validate.Problems{"password": {validate.MsgString}}},
		{"password dict", signup(map[string]any{"password": map[string]any{}}), validate.Problems{"password": {validate.MsgString}}},
		{"info string", signup(map[string]any{"info": "x"}), validate.Problems{"info": {validate.MsgDict}}},
		{"info empty string", signup(map[string]any{"info": ""}), validate.Problems{"info": {validate.MsgDict}}},
		{"info list", signup(map[string]any{"info": []any{}}), validate.Problems{"info": {validate.MsgDict}}},
		{"info number", signup(map[string]any{"info": 1.0}), validate.Problems{"info": {validate.MsgDict}}},
		{"info bool", signup(map[string]any{"info": true}), validate.Problems{"info": {validate.MsgDict}}},
		{"all wrong types", map[string]any{"username": 1.0, "email": true, "password": []any{}, "info": "x"}, validate.Problems{
			"username": {validate.MsgString}, "email": {validate.MsgString}, "password": {validate.MsgString}, "info": {validate.MsgDict},
		}},

		// Null: one message, no other rule.
		{"username null", signup(map[string]any{"username": nil}), validate.Problems{"username": {validate.MsgNull}}},
		{"email null", signup(map[string]any{"email": nil}), validate.Problems{"email": {validate.MsgNull}}},
		{"password null", signup(map[string]any{"password": nil}), validate.Problems{"password": {validate.MsgNull}}},
		{"info null", signup(map[string]any{"info": nil}), validate.Problems{"info": {validate.MsgNull}}},
		{"all null", map[string]any{"username": nil, "email": nil, "password": nil, "info": nil}, validate.Problems{
			"username": {validate.MsgNull}, "email": {validate.MsgNull}, "password": {validate.MsgNull}, "info": {validate.MsgNull},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validate.NewUserDocument(tt.doc)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewUserDocument(%q)\n got %q\nwant %q", tt.doc, got, tt.want)
			}
		})
	}
}

// TestNewUser covers the rules on a sign-up's values, with the legacy
// password policy (password_test.go has the modern one).
func TestNewUser(t *testing.T) {
	tests := []struct {
		name string
		doc  map[string]any    // the values, as signup makes them
		want validate.Problems // nil: valid
	}{
		{"valid", signup(nil), nil},
		{"legacy README example", map[string]any{"username": "t", "email": "test1@gmail.c", "password": "123"}, validate.Problems{
			"username": {"min length is 4"},
			"email":    {emailRegexMsg},
			"password": {passwordRegexMsg, "min length is 8"},
		}},

		// username: 4..20 code points, any characters.
		{"username empty", signup(map[string]any{"username": ""}), validate.Problems{"username": {"min length is 4"}}},
		{"username 3", signup(map[string]any{"username": "abc"}), validate.Problems{"username": {"min length is 4"}}},
		{"username 4", signup(map[string]any{"username": "abcd"}), nil},
		{"username 20", signup(map[string]any{"username": strings.Repeat("a", 20)}), nil},
		{"username 21", signup(map[string]any{"username": strings.Repeat("a", 21)}), validate.Problems{"username": {"max length is 20"}}},
		{"username any characters", signup(map[string]any{"username": " a\n\x00"}), nil},
		{"username Jürgen", signup(map[string]any{"username": "Jürgen"}), nil},                                                  // 6 code points, 7 bytes
		{"username 3 multibyte", signup(map[string]any{"username": "äöü"}), validate.Problems{"username": {"min length is 4"}}}, // 6 bytes
		{"username 20 multibyte", signup(map[string]any{"username": strings.Repeat("ü", 20)}), nil},                             // 40 bytes
		{"username 21 multibyte", signup(map[string]any{"username": strings.Repeat("ü", 21)}), validate.Problems{"username": {"max length is 20"}}},
		{"username 20 four-byte runes", signup(map[string]any{"username": strings.Repeat("😀", 20)}), nil},

		// email: regex, then at most 320 code points.
		{"email a@b.co", signup(map[string]any{"email": "a@b.co"}), nil},
		{"email subdomains", signup(map[string]any{"email": "first.last-x_y@mail.sub-domain.example.info"}), nil},
		{"email TLD of 4 letters", signup(map[string]any{"email": "x@y.abcd"}), nil},
		{"email TLD of 5 letters", signup(map[string]any{"email": "x@y.abcde"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email TLD of 1 letter", signup(map[string]any{"email": "test1@gmail.c"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email TLD with digit", signup(map[string]any{"email": "x@y.c0m"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email empty", signup(map[string]any{"email": ""}), validate.Problems{"email": {emailRegexMsg}}},
		{"email without at", signup(map[string]any{"email": "test1.gmail.com"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email without domain dot", signup(map[string]any{"email": "test1@localhost"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email leading space", signup(map[string]any{"email": " test1@gmail.com"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email trailing text", signup(map[string]any{"email": "test1@gmail.com x"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email trailing newline", signup(map[string]any{"email": "test1@gmail.com\n"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email plus sign", signup(map[string]any{"email": "a+b@gmail.com"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email non-ASCII", signup(map[string]any{"email": "jürgen@web.de"}), validate.Problems{"email": {emailRegexMsg}}},
		{"email 320 well-formed", signup(map[string]any{"email": strings.Repeat("a", 310) + "@gmail.com"}), nil},
		{"email 321 well-formed", signup(map[string]any{"email": strings.Repeat("a", 311) + "@gmail.com"}), validate.Problems{"email": {"max length is 320"}}},
		{"email 321 malformed", signup(map[string]any{"email": strings.Repeat("a", 311) + "@gmail.c0m"}), validate.Problems{"email": {emailRegexMsg, "max length is 320"}}},

		// password: regex (4..15 characters), then 8..64 code points.
		{"password 8", signup(map[string]any{"password": "abcd1234"}), nil},
		{"password 15", signup(map[string]any{"password": "a2345678901234_"}), nil},
		{"password 16 fails regex only", signup(map[string]any{"password": "a23456789012345_"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password 64 fails regex only", signup(map[string]any{"password": "a" + strings.Repeat("é", 63)}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password 65", signup(map[string]any{"password": strings.Repeat("a", 65)}), validate.Problems{"password": {passwordRegexMsg, "max length is 64"}}},
		{"password 123", signup(map[string]any{"password": "123"}), validate.Problems{"password": {passwordRegexMsg, "min length is 8"}}},
		{"password 7 matches regex", signup(map[string]any{"password": "abc1234"}), validate.Problems{"password": {"min length is 8"}}},
		{"password empty", signup(map[string]any{"password": ""}), validate.Problems{"password": {passwordRegexMsg, "min length is 8"}}},
		{"password unicode word characters", signup(map[string]any{"password": "pässwört12"}), nil},
		{"password unicode digits", signup(map[string]any{"password": "abcd١٢٣٤"}), nil},
		{"password CJK", signup(map[string]any{"password": "a漢字漢字漢字漢"}), nil},
		{"password 8 code points, 15 bytes", signup(map[string]any{"password": "a" + strings.Repeat("ä", 7)}), nil},
		{"password 7 code points, 13 bytes", signup(map[string]any{"password": "a" + strings.Repeat("ä", 6)}), validate.Problems{"password": {"min length is 8"}}},
		{"password first character not ASCII", signup(map[string]any{"password": "äbcd1234"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password first character underscore", signup(map[string]any{"password": "_abcd1234"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password combining mark", signup(map[string]any{"password": "abcde\u0301fgh"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password space", signup(map[string]any{"password": "abcd 1234"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password punctuation", signup(map[string]any{"password": "abcd1234!"}), validate.Problems{"password": {passwordRegexMsg}}},
		// Python's $ would accept a final "\n"; we deliberately do not.
		{"password trailing newline", signup(map[string]any{"password": "abcd1234\n"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password short with newline", signup(map[string]any{"password": "ab\n"}), validate.Problems{"password": {passwordRegexMsg, "min length is 8"}}},
		{"password leading newline", signup(map[string]any{"password": "\nabcd1234"}), validate.Problems{"password": {passwordRegexMsg}}},
		{"password invalid UTF-8", signup(map[string]any{"password": "abcd123\xff"}), validate.Problems{"password": {passwordRegexMsg}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			username, email, password := tt.doc["username"].(string), tt.doc["email"].(string), tt.doc["password"].(string)
			got := validate.NewUser(username, email, password, validate.PasswordLegacy)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NewUser(%q, %q, %q)\n got %q\nwant %q", username, email, password, got, tt.want)
			}
		})
	}
}

// TestNewUserDocumentDecoded runs NewUserDocument on documents as the REST
// decoder makes them, with and without json.Decoder.UseNumber.
func TestNewUserDocumentDecoded(t *testing.T) {
	tests := []struct {
		name string
		body string
		want validate.Problems
	}{
		{"valid", `{"username": "test1", "email": "test1@gmail.com", "password": "test1234"}`, nil},
		{"valid with info", `{"username": "test2", "email": "test2@gmail.com", "password": "test1234", "info": {"phone": "123", "n": 1}}`, nil},
		{"invalid values", `{"username": "t", "email": "test1@gmail.c", "password": "123"}`, nil},
		{"missing fields", `{}`, validate.Problems{
			"username": {validate.MsgRequired}, "email": {validate.MsgRequired}, "password": {validate.MsgRequired},
		}},
		{"unknown field", `{"username": "test2", "email": "test2@gmail.com", "password": "test1234", "foo": "bar"}`, validate.Problems{"foo": {validate.MsgUnknown}}},
		{"wrong types", `{"username": 12345, "email": "test2@gmail.com", "password": "test1234"}`, validate.Problems{"username": {validate.MsgString}}},
		{"escaped unicode", `{"username": "J\u00fcrgen", "email": "jurgen@web.de", "password": "p\u00e4ssw\u00f6rt12"}`, nil},
		{"nulls", `{"username": null, "email": null, "password": null, "info": null}`, validate.Problems{
			"username": {validate.MsgNull}, "email": {validate.MsgNull}, "password": {validate.MsgNull}, "info": {validate.MsgNull},
		}},
	}
	for _, tt := range tests {
		for _, useNumber := range []bool{false, true} {
			name := tt.name
			if useNumber {
				name += " UseNumber"
			}
			t.Run(name, func(t *testing.T) {
				dec := json.NewDecoder(strings.NewReader(tt.body))
				if useNumber {
					dec.UseNumber()
				}
				var doc map[string]any
				if err := dec.Decode(&doc); err != nil {
					t.Fatalf("decode: %v", err)
				}
				got := validate.NewUserDocument(doc)
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("NewUserDocument(%s)\n got %q\nwant %q", tt.body, got, tt.want)
				}
			})
		}
	}
}

func TestLoginDocument(t *testing.T) {
	tests := []struct {
		name string
		doc  map[string]any
		want validate.Problems
	}{
		{"valid", map[string]any{"email": "test1@gmail.com", "password": "test1234"}, nil},
		{"no length or regex rules", map[string]any{"email": "x", "password": "1"}, nil},
		{"empty strings are Login's to refuse", map[string]any{"email": "", "password": ""}, nil},
		{"unknown keys ignored", map[string]any{"email": "test1@gmail.com", "password": "test1234", "username": 1.0, "foo": nil}, nil},
		{"empty document", map[string]any{}, validate.Problems{"email": {validate.MsgRequired}, "password": {validate.MsgRequired}}},
		{"nil document", nil, validate.Problems{"email": {validate.MsgRequired}, "password": {validate.MsgRequired}}},
		{"missing email", map[string]any{"password": "test1234"}, validate.Problems{"email": {validate.MsgRequired}}},
		{"missing password", map[string]any{"email": "test1@gmail.com"}, validate.Problems{"password": {validate.MsgRequired}}},
		{"null email", map[string]any{"email": nil, "password": "test1234"}, validate.Problems{"email": {validate.MsgNull}}},
		{"null password", map[string]any{"email": "test1@gmail.com", "password": nil}, validate.Problems{"password": {validate.MsgNull}}},
		{"email number", map[string]any{"email": 12345.0, "password": "test1234"}, validate.Problems{"email": {validate.MsgString}}},
		{"email json.Number", map[string]any{"email": json.Number("1"), "password": "test1234"}, validate.Problems{"email": {validate.MsgString}}},
		{"password bool", map[string]any{"email": "test1@gmail.com", "password": true}, validate.Problems{"password": {validate.MsgString}}},
		{"password list", map[string]any{"email": "test1@gmail.com", "password": []any{"test1234"}}, validate.Problems{"password": {validate.MsgString}}},
		{"password dict", map[string]any{"email": "test1@gmail.com", "password": map[string]any{}}, validate.Problems{"password": {validate.MsgString}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validate.LoginDocument(tt.doc)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoginDocument(%q)\n got %q\nwant %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name            string
		email, password string
		want            validate.Problems
	}{
		{"valid", "test1@gmail.com", "test1234", nil},
		{"no length or regex rules", "x", "1", nil},
		{"long password", "test1@gmail.com", strings.Repeat("a", 200), nil},
		{"empty email", "", "test1234", validate.Problems{"email": {validate.MsgRequired}}},
		{"empty password", "test1@gmail.com", "", validate.Problems{"password": {validate.MsgRequired}}},
		{"both empty", "", "", validate.Problems{"email": {validate.MsgRequired}, "password": {validate.MsgRequired}}},
		{"whitespace is not empty", " ", "\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validate.Login(tt.email, tt.password)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Login(%q, %q)\n got %q\nwant %q", tt.email, tt.password, got, tt.want)
			}
		})
	}
}
