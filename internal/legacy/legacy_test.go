package legacy

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"users/internal/apperr"
)

// python is testdata/python.jsonl: what Python 3.11's json and repr made of
// each input (testdata/python.py writes it).
func python(t *testing.T) []struct{ Kind, In, Out string } {
	t.Helper()
	f, err := os.Open("testdata/python.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []struct{ Kind, In, Out string }
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct{ Kind, In, Out string }
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil || len(cases) < 100 {
		t.Fatalf("read %d cases: %v", len(cases), err)
	}
	return cases
}

// TestPython: JSON texts, strings and reprs come out byte for byte as
// Python wrote them.
func TestPython(t *testing.T) {
	for _, c := range python(t) {
		var got string
		switch c.Kind {
		case "json":
			b, err := AppendJSON(nil, []byte(c.In))
			if err != nil {
				t.Errorf("AppendJSON(%q): %v", c.In, err)
				continue
			}
			got = string(b)
		case "string":
			got = string(AppendString(nil, c.In))
		case "repr":
			got = Repr(c.In)
		}
		if got != c.Out {
			t.Errorf("%s(%q) = %s, Python: %s", c.Kind, c.In, got, c.Out)
		}
	}
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, `null`},
		{map[string]any{"b": []any{1, 2.5, "é"}, "a": nil}, `{"a": null, "b": [1, 2.5, "\u00e9"]}`},
		{struct {
			Code int    `json:"code"`
			Text string `json:"text,omitempty"`
		}{88, ""}, `{"code": 88}`},
		{"<&>", `"<&>"`},
		{1e21, `1e+21`},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("Marshal(%#v) = %s, %v; want %s", tt.v, got, err, tt.want)
		}
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal(func) did not fail")
	}
}

// invalid are texts that are not one JSON value.
var invalid = []string{
	``, ` `, `{`, `}`, `{"a" 1}`, `{"a": 1,}`, `{,}`, `[1,]`, `[1 2]`, `{"a": 1} x`, `{"a": 01}`, `{"a": 1.}`,
	`{"a": .5}`, `{"a": -}`, `{"a": 1e}`, `{"a": tru}`, `{"a": nul}`, `{1: 2}`, `"ctl` + "\x01" + `"`, `"\x"`, `"\u12"`,
	`"\u12g4"`, `"open`, `"\`, `[`, `[]]`, `{"a": [}`, `+1`, `NaN`, `Infinity`, `'a'`,
}

func TestAppendJSONInvalid(t *testing.T) {
	for _, text := range invalid {
		if got, err := AppendJSON(nil, []byte(text)); err == nil {
			t.Errorf("AppendJSON(%q) = %s, want an error", text, got)
		}
	}
}

// TestAppendJSONReadsAsEncodingJSON: where Python's json and Go's
// encoding/json read a text differently (invalid UTF-8, unpaired surrogate
// escapes: neither is in PostgreSQL's jsonb text), AppendJSON reads it as
// encoding/json does.
func TestAppendJSONReadsAsEncodingJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"bad ` + "\xff" + ` utf8 ` + "\xc3" + `"`, `"bad \ufffd utf8 \ufffd"`},
		{`"\ud800"`, `"\ufffd"`},
		{`"\udc00\ud83d"`, `"\ufffd\ufffd"`},
		{`"\ud800\u0041"`, `"\ufffdA"`},
		{`"\ud83d\ude00"`, `"\ud83d\ude00"`},
		{`{"dup": 1, "dup": 2}`, `{"dup": 1, "dup": 2}`},
	}
	for _, tt := range tests {
		got, err := AppendJSON(nil, []byte(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("AppendJSON(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// TestAppendJSONPlainDoesNotAllocate: the REST list rewrites every user's
// info; what PostgreSQL writes for ordinary data costs no allocation.
func TestAppendJSONPlainDoesNotAllocate(t *testing.T) {
	text := []byte(`{"n": 3, "team": "t3", "tags": ["a", "b"], "meta": {"x": null, "y": 1.5}, "é": "中"}`)
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { _, _ = AppendJSON(buf[:0], text) }); n != 0 {
		t.Errorf("AppendJSON allocates %v times per call", n)
	}
}

func TestMetaCode(t *testing.T) {
	tests := []struct {
		code apperr.Code
		want int
	}{
		{apperr.Invalid, 88}, {apperr.UserNotExists, 21}, {apperr.PasswordNotMatch, 22}, {apperr.Duplicate, 77},
		{apperr.Unauthenticated, 99}, {apperr.NotSupported, 10}, {apperr.RateLimited, 429}, {apperr.TooLarge, 413},
		{apperr.ResponseTooLarge, 413}, {apperr.Internal, 500}, {apperr.Code("SOMETHING_NEW"), 500},
	}
	for _, tt := range tests {
		if got := MetaCode(tt.code); got != tt.want {
			t.Errorf("MetaCode(%s) = %d, want %d", tt.code, got, tt.want)
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	text := []byte(`{"n": 3, "team": "t3", "tags": ["a", "b"], "meta": {"x": null}}`)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendJSON(buf[:0], text)
	}
}
