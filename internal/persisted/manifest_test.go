package persisted

import (
	"context"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

var testSchema = gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { me: String, users(first: Int): [String] }`})

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
	}{
		{"graphql-codegen and Relay alike", `{"abc": "query A { me }", "d41d8cd98f00b204e9800998ecf8427e": "{ users(first: 2) }"}`, ""},
		{"not JSON", `{`, "not a JSON object"},
		{"an array", `["{ me }"]`, "not a JSON object"},
		{"texts not strings", `{"a": {"query": "{ me }"}}`, "not a JSON object"},
		{"empty", `{}`, "no documents"},
		{"a document that does not parse", `{"a": "{ me "}`, "a: "},
		{"a document that does not validate", `{"ok": "{ me }", "bad": "{ nosuch }"}`, "bad: Cannot query field"},
		{"a fragment alone", `{"f": "fragment F on Query { me }"}`, "f: "},
		{"an empty id", `{"": "{ me }"}`, "an id must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseManifest([]byte(tt.json), testSchema)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if m.Len() != 2 {
					t.Errorf("%d documents, want 2", m.Len())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestManifestLookup(t *testing.T) {
	m, err := ParseManifest([]byte(`{"relay-md5": "query A { me }"}`), testSchema)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256Hex("query A { me }")
	for _, id := range []string{"relay-md5", h, "sha256:" + h} {
		if q, ok := m.Lookup(id); !ok || q != "query A { me }" {
			t.Errorf("Lookup(%q) = %q, %v", id, q, ok)
		}
	}
	for _, id := range []string{"", "sha256:", "RELAY-MD5", strings.ToUpper(h)} {
		if _, ok := m.Lookup(id); ok {
			t.Errorf("Lookup(%q) found a document", id)
		}
	}
	if !m.Has("query A { me }") || m.Has("query A { me } ") {
		t.Error("Has must match the exact text")
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(30) // three entries of 10 bytes
	for _, k := range []string{"a", "b", "c"} {
		m.Add(ctx, k, strings.Repeat(k, 9))
	}
	m.Get(ctx, "a") // a is now the most recently used
	m.Add(ctx, "d", strings.Repeat("d", 9))
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok := m.Get(ctx, k); ok != want {
			t.Errorf("Get(%q) found %v, want %v", k, ok, want)
		}
	}
	m.Add(ctx, "huge", strings.Repeat("x", 100)) // larger than the store: not kept, nothing evicted
	if _, ok := m.Get(ctx, "huge"); ok || m.size > m.max {
		t.Errorf("size %d of %d after a document larger than the store", m.size, m.max)
	}
	if _, ok := m.Get(ctx, "c"); !ok {
		t.Error("a document larger than the store evicted others")
	}
}

// FuzzParseManifest: any file is a manifest or an error, never a panic.
func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{`{"a": "{ me }"}`, `{}`, `[]`, `{"a": "{ me "}`, `{"a": "query($n: Int) { users(first: $n) }"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data, testSchema)
		if err == nil && m.Len() == 0 {
			t.Error("a manifest with no documents")
		}
	})
}
