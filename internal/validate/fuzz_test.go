package validate_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"users/internal/commonpasswords"
	"users/internal/validate"
)

// FuzzNewUser checks NewUser with the legacy policy: only the three fields
// can have problems, never "required field", and the length messages agree
// with a code-point count.
func FuzzNewUser(f *testing.F) {
	f.Add("test1", "test1@gmail.com", "test1234")
	f.Add("t", "test1@gmail.c", "123")
	f.Add("Jürgen", "jurgen@web.de", "pässwört12")
	f.Add("", "", "")
	f.Add(strings.Repeat("ü", 21), strings.Repeat("a", 311)+"@gmail.com", "a"+strings.Repeat("é", 63))
	f.Add("abcd", "x@y.abcde", "abcd1234\n")
	f.Add("\xff\xfe\xfd\xfc", "a@b.co\xff", "abcd123\xff")
	f.Fuzz(func(t *testing.T, username, email, password string) {
		got := validate.NewUser(username, email, password, validate.PasswordLegacy)
		doc := map[string]any{"username": username, "email": email, "password": password}
		checkShape(t, doc, got, schemaFields, true)
		checkString(t, got, "username", username, "", 4, 20)
		checkString(t, got, "email", email, validate.MsgRegex(validate.EmailPattern), 0, 320)
		checkString(t, got, "password", password, validate.MsgRegex(validate.PasswordPattern), 8, 64)
		// The password regex allows at most 15 characters.
		if utf8.RuneCountInString(password) > 15 && (len(got["password"]) == 0 || got["password"][0] != validate.MsgRegex(validate.PasswordPattern)) {
			t.Errorf("password of %d code points: got %q, want the regex message first", utf8.RuneCountInString(password), got["password"])
		}
		if login := validate.Login(email, password); (email == "") != (login["email"] != nil) || (password == "") != (login["password"] != nil) {
			t.Errorf("Login(%q, %q) = %q: want a problem exactly for the empty fields", email, password, login)
		}
		// Every string has the shape the document check wants.
		if p := validate.NewUserDocument(doc); p != nil {
			t.Errorf("NewUserDocument(%q) = %q, want nil", doc, p)
		}
	})
}

// FuzzPasswordPolicy checks the modern policy on any string: exactly the
// passwords of 12 to 128 code points that are not on the common list pass;
// a refused one gets exactly one message, the length one when the length is
// wrong; case does not matter. The legacy policy on the same input gives at
// most the regex message and one length message, and never the common one.
func FuzzPasswordPolicy(f *testing.F) {
	for _, seed := range []string{
		"", "password", "password1234", "PassWord1234", "correct horse battery staple",
		strings.Repeat("ä", 12), strings.Repeat("a", 128), strings.Repeat("a", 129),
		"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
		"İSTANBUL1234", "ǅungla-ǆungla", "ＰＡＳＳＷＯＲＤ１２３４",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, password string) {
		n := utf8.RuneCountInString(password)
		got := validate.PasswordModern.Check(password)
		var want []string
		switch {
		case n < validate.ModernMinLength:
			want = []string{validate.MsgMinLength(validate.ModernMinLength)}
		case n > validate.ModernMaxLength:
			want = []string{validate.MsgMaxLength(validate.ModernMaxLength)}
		case commonpasswords.Contains(password):
			want = []string{validate.MsgCommonPassword}
		}
		if !slices.Equal(got, want) {
			t.Errorf("modern Check(%q) (%d code points) = %q, want %q", password, n, got, want)
		}
		if lower := strings.ToLower(password); !slices.Equal(validate.PasswordModern.Check(lower), got) {
			t.Errorf("modern Check(%q) = %q but Check(%q) = %q: case matters", password, got, lower, validate.PasswordModern.Check(lower))
		}

		legacy := validate.PasswordLegacy.Check(password)
		if len(legacy) > 2 || slices.Contains(legacy, validate.MsgCommonPassword) {
			t.Errorf("legacy Check(%q) = %q", password, legacy)
		}
	})
}

// FuzzDecodedDocument runs NewUserDocument and LoginDocument on whatever
// encoding/json makes of the input: they never panic, report only the
// document's keys or schema fields, one message each for a sign-up, and
// never an empty message list.
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
			got := validate.NewUserDocument(doc)
			checkShape(t, doc, got, schemaFields, true)
			for field, msgs := range got {
				if len(msgs) != 1 {
					t.Errorf("NewUserDocument(%q): %d messages for %q, want one", doc, len(msgs), field)
				}
			}
			checkShape(t, doc, validate.LoginDocument(doc), loginFields, false)
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

// FuzzInfo checks Info on any text against encoding/json: text is refused as
// not a dict exactly when it is not one valid JSON object, and otherwise the
// depth, count and number messages agree with what json.Decoder's tokens
// show. The size does not depend on whitespace, and no text makes Info
// panic or loop (the fuzzer would report it).
func FuzzInfo(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a": [1, 2.5e3, -0.0, "x", true, null, {"b": {}}]}`, `{"a":1e131071}`,
		`{"a":` + strings.Repeat("9", 400) + `}`, `{"a":1e-400}`, `{"a":0e-99999}`,
		`{"a":[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]}`, `{"s":"\u00e9\/\"\\"}`, `{"a":1,"a":2}`,
		`[1]`, `"x"`, `{"a":01}`, `{"a":"` + "\xff" + `"}`, " {\n\"a\" : 1 } ",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		got := validate.Info(text, 64)
		object := json.Valid(text) && utf8.Valid(text) && bytes.HasPrefix(bytes.TrimLeft(text, " \t\r\n"), []byte("{"))
		if !object {
			if !slices.Equal(got, []string{validate.MsgDict}) {
				t.Fatalf("Info(%q) = %q, want only %q", text, got, validate.MsgDict)
			}
			return
		}
		want := referenceInfo(t, text)
		for _, m := range []string{validate.MsgInfoDepth, validate.MsgInfoValues, validate.MsgInfoNumber} {
			if slices.Contains(got, m) != slices.Contains(want, m) {
				t.Errorf("Info(%q) = %q; encoding/json's tokens say %q", text, got, want)
			}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, text); err != nil {
			t.Fatal(err)
		}
		size, ok := validate.InfoSize(text)
		if compactSize, _ := validate.InfoSize(compact.Bytes()); !ok || size != compactSize {
			t.Errorf("InfoSize(%q) = %d, %v; of its compact form %d", text, size, ok, compactSize)
		}
		if slices.Contains(got, validate.MsgInfoSize(64)) != (size > 64) {
			t.Errorf("Info(%q) = %q, but the size is %d", text, got, size)
		}
	})
}

// referenceInfo finds the depth, count and number problems of a JSON object
// from encoding/json's token stream.
func referenceInfo(t *testing.T, text []byte) []string {
	t.Helper()
	type frame struct {
		delim json.Delim
		key   bool // in an object, the next token is a key
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var open []frame
	depth, values, badNumber := 0, 0, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		closing := tok == json.Delim('}') || tok == json.Delim(']')
		if n := len(open); n > 0 && !closing {
			top := &open[n-1]
			switch {
			case top.delim == '[':
				values++
			case top.key:
				values++
				top.key = false
				continue
			default:
				top.key = true
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			if closing {
				open = open[:len(open)-1]
				continue
			}
			open = append(open, frame{delim: v, key: v == '{'})
			depth = max(depth, len(open))
		case json.Number:
			f, err := strconv.ParseFloat(string(v), 64)
			mantissa, _, _ := strings.Cut(strings.ToLower(string(v)), "e")
			badNumber = badNumber || err != nil || (f == 0 && strings.ContainsAny(mantissa, "123456789"))
		}
	}
	var msgs []string
	if depth > validate.MaxInfoDepth {
		msgs = append(msgs, validate.MsgInfoDepth)
	}
	if values > validate.MaxInfoValues {
		msgs = append(msgs, validate.MsgInfoValues)
	}
	if badNumber {
		msgs = append(msgs, validate.MsgInfoNumber)
	}
	return msgs
}
