package graph

import (
	"reflect"
	"testing"
)

var infoSamples = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1`, `{"team": "t3", "level": 3}`,
	`{"a": [1, 2.5, -0.5e10, 1E+2, 0, -0], "b": {"c": null, "d": true, "e": false}, "f": [], "g": {}}`,
	`{"é": "中😀", "k": "\u00e9 \n \"q\" \\"}`, `{"dup": 1, "dup": 2}`, `{"big": 123456789012345678901234567890}`,
	`{"a": 1} trailing`, `{"a": 1}   `, ` {"a": 1}`, `{"a": 01}`, `{"a": 1.}`, `{"a": .5}`, `{"a": -}`, `{"a": tru}`,
	`{"a": "bad` + "\xff" + `"}`, `{"a": "ctl` + "\x01" + `"}`, `{"a" 1}`, `{"a": 1,}`, `{,}`, `{"a": [1,]}`, `{"a": [1 2]}`,
	`{"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"l": {"m": {"n": {"o": {"p": {"q": {"r": {"s": {"t": {"u": {"v": {"w": {"x": {"y": {"z": {"A": {"B": {"C": {"D": {"E": {"F": {"G": {}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}}`,
}

// FuzzDecodeInfo checks that the hand-written parser and encoding/json agree
// on every input, including the ones the parser hands over.
func FuzzDecodeInfo(f *testing.F) {
	for _, s := range infoSamples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, want := decodeInfo(raw), decodeInfoStd(raw)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeInfo(%q) = %#v, encoding/json gives %#v", raw, got, want)
		}
	})
}

func TestDecodeInfoFastPath(t *testing.T) {
	// What PostgreSQL writes for jsonb must take the fast path.
	for _, s := range []string{`{}`, `{"team": "t3", "level": 3}`, `{"a": [1, {"b": null}], "é": "中"}`} {
		if _, ok := parseInfo([]byte(s)); !ok {
			t.Errorf("parseInfo(%q) fell back to encoding/json", s)
		}
	}
}

func BenchmarkDecodeInfo(b *testing.B) {
	raw := []byte(`{"team": "t3", "level": 3}`)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeInfoStd(raw)
		}
	})
	b.Run("parseInfo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeInfo(raw)
		}
	})
}
