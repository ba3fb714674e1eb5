package persisted

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Manifest is a trusted documents manifest: a JSON object from document id
// to document text. graphql-codegen's client preset writes one
// (persisted-documents.json, ids are hashes of the text) and so does
// relay-compiler (persistConfig's file; ids are MD5 by default).
type Manifest struct {
	byID     map[string]string // the manifest's own ids
	bySHA256 map[string]string // hex SHA-256 of each text, for APQ hashes and sha256: ids
}

// maxManifestBytes bounds the file read at start.
const maxManifestBytes = 64 << 20

// LoadManifest reads the manifest at path and validates every document
// against schema; it fails, naming the documents at fault, if one does not
// parse or validate, or holds no operation.
func LoadManifest(path string, schema *ast.Schema) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("trusted documents: %s is larger than %d bytes", path, maxManifestBytes)
	}
	m, err := ParseManifest(data, schema)
	if err != nil {
		return nil, fmt.Errorf("trusted documents %s: %w", path, err)
	}
	return m, nil
}

// ParseManifest reads a manifest's JSON (see LoadManifest).
func ParseManifest(data []byte, schema *ast.Schema) (*Manifest, error) {
	var docs map[string]string
	if err := json.Unmarshal(data, &docs); err != nil {
		return nil, errors.New("not a JSON object of document ids to document texts (graphql-codegen's persisted-documents.json, or Relay's persisted queries file)")
	}
	if len(docs) == 0 {
		return nil, errors.New("no documents")
	}
	m := &Manifest{byID: make(map[string]string, len(docs)), bySHA256: make(map[string]string, len(docs))}
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(docs)) {
		text := docs[id]
		if id == "" || len(id) > maxHashLen {
			problems = append(problems, fmt.Sprintf("%q: an id must be 1 to %d bytes", id, maxHashLen))
			continue
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, text, nil) // nil: the default rules
		switch {
		case errs != nil:
			problems = append(problems, fmt.Sprintf("%s: %s", id, errs[0].Message))
			continue
		case len(doc.Operations) == 0:
			problems = append(problems, id+": no operation")
			continue
		}
		m.byID[id] = text
		m.bySHA256[sha256Hex(text)] = text
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 5 {
			more = fmt.Sprintf(" (and %d more)", len(problems)-5)
			problems = problems[:5]
		}
		return nil, fmt.Errorf("documents that do not run on this schema: %s%s", strings.Join(problems, "; "), more)
	}
	return m, nil
}

// Len is how many documents the manifest holds.
func (m *Manifest) Len() int { return len(m.byID) }

// Lookup returns the document named id: a manifest id, a SHA-256 of a
// document's text (as Apollo's extensions.persistedQuery sends it), or
// "sha256:" and that hash (the GraphQL-over-HTTP persisted documents form).
func (m *Manifest) Lookup(id string) (string, bool) {
	if text, ok := m.byID[id]; ok {
		return text, true
	}
	text, ok := m.bySHA256[strings.TrimPrefix(id, "sha256:")]
	return text, ok
}

// Has reports whether text is exactly one of the manifest's documents.
func (m *Manifest) Has(text string) bool {
	_, ok := m.bySHA256[sha256Hex(text)]
	return ok
}
