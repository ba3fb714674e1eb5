package validate_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"users/internal/testdb"
	"users/internal/validate"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// nested returns an info object nested depth levels deep.
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
}

// values returns an info object of n members and items in all.
func values(n int) string {
	return `{"a":[` + strings.TrimSuffix(strings.Repeat("0,", n-1), ",") + `]}`
}

func TestInfo(t *testing.T) {
	size := validate.MsgInfoSize(4096)
	pad := func(n int) string { return `{"pad":"` + strings.Repeat("a", n) + `"}` }
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", `{}`, nil},
		{"profile", `{"phone":"123","team":{"name":"core","level":3},"tags":["a","b"],"ok":true,"x":null}`, nil},
		{"whitespace", " {\n \"a\" : [ 1 , 2 ] } \t", nil},
		// `{"pad": "…"}` as PostgreSQL writes it is 11 bytes more than the padding.
		{"at the size bound", pad(4096 - 11), nil},
		{"over the size bound", pad(4096 - 10), []string{size}},
		{"escapes count as written", `{"pad":"` + strings.Repeat(`\u003c`, 681) + `"}`, []string{size}},
		{"twenty numbers of 1e131071", `{"a":[` + strings.TrimSuffix(strings.Repeat("1e131071,", 20), ",") + `]}`, []string{size, validate.MsgInfoNumber}},
		{"one 1e131071", `{"a":1e131071}`, []string{size, validate.MsgInfoNumber}},
		{"an integer of 400 digits", `{"a":` + strings.Repeat("9", 400) + `}`, []string{validate.MsgInfoNumber}},
		{"a negative integer of 400 digits", `{"a":-` + strings.Repeat("9", 400) + `}`, []string{validate.MsgInfoNumber}},
		{"underflow", `{"a":1e-400}`, []string{validate.MsgInfoNumber}},
		{"largest float64", `{"a":1.7976931348623157e308}`, nil},
		{"past the largest float64", `{"a":1.8e308}`, []string{validate.MsgInfoNumber}},
		{"smallest float64", `{"a":5e-324}`, nil},
		{"zero with a large exponent", `{"a":0e-5000}`, []string{size}},
		{"zero with a huge exponent", `{"a":0e999999999999999999999}`, nil},
		{"integer of 300 digits", `{"a":` + strings.Repeat("9", 300) + `}`, nil},
		{"1e300 counts its 301 digits", `{"a":[` + strings.TrimSuffix(strings.Repeat("1e300,", 14), ",") + `]}`, []string{size}},
		{"depth at the bound", nested(validate.MaxInfoDepth), nil},
		{"depth over the bound", nested(validate.MaxInfoDepth + 1), []string{validate.MsgInfoDepth}},
		{"array depth over the bound", `{"a":` + strings.Repeat("[", validate.MaxInfoDepth) + strings.Repeat("]", validate.MaxInfoDepth) + `}`, []string{validate.MsgInfoDepth}},
		{"values at the bound", values(validate.MaxInfoValues), nil},
		{"values over the bound", values(validate.MaxInfoValues + 1), []string{validate.MsgInfoValues}},
		{"members count", `{"a":{"b":{"c":` + values(validate.MaxInfoValues-1) + `}}}`, []string{validate.MsgInfoValues}},
		{"everything at once", `{"a":` + strings.Repeat("[", 20) + "1e999" + strings.Repeat(",0", 600) + strings.Repeat("]", 20) + `,"p":"` + strings.Repeat("a", 4096) + `"}`,
			[]string{size, validate.MsgInfoDepth, validate.MsgInfoValues, validate.MsgInfoNumber}},
		{"an array", `[1]`, []string{validate.MsgDict}},
		{"a string", `"x"`, []string{validate.MsgDict}},
		{"null", `null`, []string{validate.MsgDict}},
		{"nothing", ``, []string{validate.MsgDict}},
		{"two objects", `{}{}`, []string{validate.MsgDict}},
		{"trailing comma", `{"a":1,}`, []string{validate.MsgDict}},
		{"unclosed", `{"a":[1,2}`, []string{validate.MsgDict}},
		{"leading zero", `{"a":01}`, []string{validate.MsgDict}},
		{"bad escape", `{"a":"\x"}`, []string{validate.MsgDict}},
		{"raw control character", "{\"a\":\"\x01\"}", []string{validate.MsgDict}},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", []string{validate.MsgDict}},
		{"bare word", `{"a":nul}`, []string{validate.MsgDict}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validate.Info([]byte(tt.text), 4096); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Info(%.80q) = %q, want %q", tt.text, got, tt.want)
			}
			object := json.Valid([]byte(tt.text)) && utf8.ValidString(tt.text) && strings.HasPrefix(strings.TrimSpace(tt.text), "{")
			if object == reflect.DeepEqual(tt.want, []string{validate.MsgDict}) {
				t.Errorf("a JSON object: %v, but Info says %q", object, tt.want)
			}
		})
	}
}

// TestInfoSizeIsPostgres compares InfoSize with the text PostgreSQL writes
// back from jsonb: equal where InfoSize says it is exact, never less.
func TestInfoSizeIsPostgres(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	tests := []struct {
		text  string
		exact bool // no escapes, no duplicate keys, no negative zero
	}{
		{`{}`, true},
		{`{"a":[]}`, true},
		{`{"a":{},"b":[{}],"c":[[]]}`, true},
		{`{"phone":"123","team":{"name":"core","level":3},"tags":["a","b"],"ok":true,"no":false,"x":null}`, true},
		{" {\n \"a\" : [ 1 , 2 ] } \t", true},
		{`{"n":[1e3,1.50,5e-3,0e-5,100e-2,12.5e1,0.5e-3,1E+2,-1.5e-2,1.7976931348623157e308,5e-324,2.5E-7,0.000,10.010e1]}`, true},
		{`{"n":[123456789012345678901234567890,-42,0,0.0,1e300,1e-300]}`, true},
		{`{"é":"ü😀","k":"日本語"}`, true},
		{`{"a":-0,"b":-0.00}`, false},
		{`{"s":"\u00e9\/<>\u0001\"\\\n\t"}`, false},
		{`{"a":1,"a":2}`, false},
		{`{"a":1e131071}`, true},
		{`{"a":0e-16383}`, true},
	}
	for _, tt := range tests {
		size, ok := validate.InfoSize([]byte(tt.text))
		if !ok {
			t.Errorf("InfoSize(%q): not an object", tt.text)
			continue
		}
		var pg int
		if err := pool.QueryRow(t.Context(), `SELECT octet_length($1::jsonb::text)`, tt.text).Scan(&pg); err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if size < pg || (tt.exact && size != pg) {
			t.Errorf("InfoSize(%.80q) = %d, PostgreSQL writes %d bytes (exact: %v)", tt.text, size, pg, tt.exact)
		}
	}
}
