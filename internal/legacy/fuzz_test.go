package legacy

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"
)

// pythonOfDecoded writes text as encoding/json decodes it (token by token,
// so object members keep their order), each token in Python's form: the
// reference AppendJSON must agree with.
func pythonOfDecoded(t *testing.T, text []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var out []byte
	type level struct {
		object bool
		n      int // tokens read in it
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("decode %q: %v", text, err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out = append(out, byte(d))
			continue
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				out = append(out, ": "...)
			case top.n > 0:
				out = append(out, ", "...)
			}
			top.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			stack = append(stack, level{object: v == '{'})
			out = append(out, byte(v))
		case string:
			out = AppendString(out, v)
		case json.Number:
			out = appendNumber(out, []byte(v), bytes.ContainsAny([]byte(v), ".eE"))
		case bool, nil:
			b, _ := json.Marshal(v)
			out = append(out, b...)
		}
	}
}

// FuzzAppendJSON: AppendJSON fails exactly on what encoding/json finds
// invalid, and otherwise writes what encoding/json decodes, in Python's form.
// (TestPython checks that form against Python itself.)
func FuzzAppendJSON(f *testing.F) {
	for _, s := range invalid {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{}`, `{"n": 1, "phone": "123"}`, `{"a": [1, 2.5, -0.5e10, 1E+2, 0, -0], "b": {"c": null, "d": true}}`,
		`{"é": "中😀", "k": "\u00e9 \n \"q\" \\ \/"}`, `"\ud83d\ude00\ud800\u0041"`, `{"dup": 1, "dup": 2}`, "\"\xff\x7f\"",
		` [ 1e-400 , 1e400, -0.0, 123456789012345678901234567890 ] `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		got, err := AppendJSON([]byte("prefix"), text)
		if valid := json.Valid(text); (err == nil) != valid {
			t.Fatalf("AppendJSON(%q) error %v, but json.Valid = %v", text, err, valid)
		}
		if err != nil {
			return
		}
		if want := append([]byte("prefix"), pythonOfDecoded(t, text)...); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%q)\n got %s\nwant %s", text, got, want)
		}
	})
}

// FuzzAppendString: the string reads back as encoding/json reads s, and is
// printable ASCII.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "alice", "é中😀", "\u2028\"\\/", "bad \xff utf8 \xc3", "a\x00b\x1fc\x7f", "tab\tnew\nline\rret\bback\fform"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		for _, c := range got {
			if c < 0x20 || c > '~' {
				t.Fatalf("AppendString(%q) = %q: byte %#x is not printable ASCII", s, got, c)
			}
		}
		var back, want string
		std, _ := json.Marshal(s)
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("AppendString(%q) = %s: %v", s, got, err)
		}
		if err := json.Unmarshal(std, &want); err != nil || !reflect.DeepEqual(back, want) {
			t.Fatalf("AppendString(%q) reads back as %q, encoding/json's as %q", s, back, want)
		}
	})
}
