package commonpasswords

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestList checks what the lookup and the modern policy rely on: the list is
// sorted bytewise with no repeats (binary search), lower-case (case-folded
// lookup), and every entry is 12 to 128 code points long, as README.md says.
func TestList(t *testing.T) {
	entries := list()
	if len(entries) != 43940 {
		t.Errorf("%d entries, want the 43,940 README.md documents", len(entries))
	}
	for i, e := range entries {
		if n := utf8.RuneCountInString(e); n < 12 || n > 128 || !utf8.ValidString(e) {
			t.Errorf("entry %d %q: %d code points, want valid UTF-8 of 12 to 128", i, e, n)
		}
		if strings.ToLower(e) != e {
			t.Errorf("entry %d %q is not lower-case", i, e)
		}
		if i > 0 && entries[i-1] >= e {
			t.Errorf("entries %d and %d out of order or repeated: %q, %q", i-1, i, entries[i-1], e)
		}
	}
}

func TestContains(t *testing.T) {
	tests := []struct {
		password string
		want     bool
	}{
		// On the list (among the most common of the corpus's long passwords).
		{"password1234", true},
		{"qwertyuiop123", true},
		{"1qaz2wsx3edc", true},
		{"iloveyou1234", true},
		// Case-folded.
		{"PASSWORD1234", true},
		{"Password1234", true},
		{"QwertyUIOP123", true},
		// Not on the list.
		{"password123", false}, // 11 characters: the list holds none
		{"password1234 ", false},
		{" password1234", false},
		{"correct horse battery staple", false},
		{"Tr0ub4dor&3 is not my password", false},
		{"", false},
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		if got := Contains(tt.password); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
	// The first and last entries are found: the search covers both ends.
	entries := list()
	for _, e := range []string{entries[0], entries[len(entries)-1]} {
		if !Contains(e) || !Contains(strings.ToUpper(e)) {
			t.Errorf("Contains(%q) or its upper case = false, want true", e)
		}
	}
	if Len() != len(entries) {
		t.Errorf("Len() = %d, want %d", Len(), len(entries))
	}
}

func TestDecode(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name    string
		data    []byte
		want    []string
		wantErr bool
	}{
		{"two entries", gz("aaaaaaaaaaaa\nbbbbbbbbbbbb\n"), []string{"aaaaaaaaaaaa", "bbbbbbbbbbbb"}, false},
		{"no final newline", gz("aaaaaaaaaaaa"), nil, true},
		{"not gzip", []byte("aaaaaaaaaaaa\n"), nil, true},
		{"truncated gzip", gz("aaaaaaaaaaaa\n")[:10], nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(tt.data)
			if (err != nil) != tt.wantErr || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("decode = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// BenchmarkContains shows the cost of one lookup once the list is loaded.
func BenchmarkContains(b *testing.B) {
	list()
	for b.Loop() {
		Contains("Correct Horse Battery Staple")
	}
}

// BenchmarkDecode shows the one-time cost of loading the list.
func BenchmarkDecode(b *testing.B) {
	for b.Loop() {
		if _, err := decode(compressed); err != nil {
			b.Fatal(err)
		}
	}
}
