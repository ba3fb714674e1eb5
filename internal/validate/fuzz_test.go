package validate_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"users/internal/validate"
)

// FuzzNewUser checks NewUser on documents with three present string fields:
// only those fields can have problems, never "required field", and the length
// messages agree with a code-point count.
func FuzzNewUser(f *testing.F) {
	f.Add("test1", "test1@gmail.com", "test1234")
	f.Add("t", "test1@gmail.c", "123")
	f.Add("Jürgen", "jurgen@web.de", "pässwört12")
	f.Add("", "", "")
	f.Add(strings.Repeat("ü", 21), strings.Repeat("a", 311)+"@gmail.com", "a"+strings.Repeat("é", 63))
	f.Add("abcd", "x@y.abcde", "abcd1234\n")
	f.Add("\xff\xfe\xfd\xfc", "a@b.co\xff", "abcd123\xff")
	f.Fuzz(func(t *testing.T, username, email, password string) {
		doc := map[string]any{"username": username, "email": email, "password": password}
		got := validate.NewUser(doc)
		checkShape(t, doc, got, schemaFields, true)
		checkString(t, got, "username", username, "", 4, 20)
		checkString(t, got, "email", email, validate.MsgRegex(validate.EmailPattern), 0, 320)
		checkString(t, got, "password", password, validate.MsgRegex(validate.PasswordPattern), 8, 64)
		// The password regex allows at most 15 characters.
		if utf8.RuneCountInString(password) > 15 && (len(got["password"]) == 0 || got["password"][0] != validate.MsgRegex(validate.PasswordPattern)) {
			t.Errorf("password of %d code points: got %q, want the regex message first", utf8.RuneCountInString(password), got["password"])
		}
		if login := validate.Login(doc); (email == "") != (login["email"] != nil) || (password == "") != (login["password"] != nil) {
			t.Errorf("Login(%q) = %q: want a problem exactly for the empty fields", doc, login)
		}
	})
}

// FuzzDecodedDocument runs NewUser and Login on whatever encoding/json makes of
// the input: they never panic, report only the document's keys or schema
// fields, and never report an empty message list.
func FuzzDecodedDocument(f *testing.F) {
	for _, seed := range []string{
		`{"username": "test1", "email": "test1@gmail.com", "password": "test1234"}`,
		`{"username": "t", "email": "test1@gmail.c", "password": "123"}`,
		`{}`,
		`{"username": 12345, "email": "test2@gmail.com", "password": "test1234", "foo": "bar"}`,
		`{"username": null, "email": true, "password": [], "info": "x"}`,
		`{"username": "test2", "email": "test2@gmail.com", "password": "test1234", "info": {"phone": "123", "n": 1}}`,
		`{"email": "", "password": {"a": 1}, "": null}`,
		`{"username": "J\u00fcrgen", "password": "\ud800abcd1234"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(bytes.NewReader(data))
			if useNumber {
				dec.UseNumber()
			}
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				return
			}
			checkShape(t, doc, validate.NewUser(doc), schemaFields, true)
			checkShape(t, doc, validate.Login(doc), loginFields, false)
		}
	})
}

var (
	schemaFields = []string{"username", "email", "password", "info"}
	loginFields  = []string{"email", "password"}
)

// checkShape checks the invariants every result has: nil when valid, keys
// from the document or the schema, non-empty message lists, and "unknown
// field" exactly for the keys outside fields if reportUnknown is set, else
// nothing for them (Login ignores them).
func checkShape(t *testing.T, doc map[string]any, got validate.Problems, fields []string, reportUnknown bool) {
	t.Helper()
	if got != nil && len(got) == 0 {
		t.Errorf("got an empty non-nil Problems for %q", doc)
	}
	for field, msgs := range got {
		_, inDoc := doc[field]
		if !inDoc && !slices.Contains(fields, field) {
			t.Errorf("problem for %q, which is neither in the document nor in the schema: %q", field, msgs)
		}
		if len(msgs) == 0 {
			t.Errorf("empty message list for %q", field)
		}
		if len(msgs) > 2 {
			t.Errorf("more than two messages for %q: %q", field, msgs)
		}
	}
	for field := range doc {
		if slices.Contains(fields, field) {
			continue
		}
		var want []string
		if reportUnknown {
			want = []string{validate.MsgUnknown}
		}
		if !slices.Equal(got[field], want) {
			t.Errorf("unknown key %q: got %q, want %q", field, got[field], want)
		}
	}
}

// checkString checks the problems of a present string field against its
// code-point length and, if regexMsg is set, that the regex message, when
// present, comes first.
func checkString(t *testing.T, got validate.Problems, field, value, regexMsg string, minLen, maxLen int) {
	t.Helper()
	msgs := got[field]
	if len(msgs) > 0 && msgs[0] == regexMsg {
		msgs = msgs[1:]
	}
	var want []string
	switch n := utf8.RuneCountInString(value); {
	case n < minLen:
		want = []string{validate.MsgMinLength(minLen)}
	case n > maxLen:
		want = []string{validate.MsgMaxLength(maxLen)}
	}
	if !slices.Equal(msgs, want) {
		t.Errorf("%s %q: got %q, want length messages %q", field, value, got[field], want)
	}
}
