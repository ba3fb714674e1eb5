// Package persisted resolves persisted operations for the GraphQL endpoint,
// as a gqlgen extension: Apollo's automatic persisted queries (APQ:
// extensions.persistedQuery {version: 1, sha256Hash}), and trusted documents,
// a manifest of the operations an operator's own apps send (graphql-codegen
// client preset's persisted-documents.json, Relay's persisted queries JSON),
// loaded at start. With a manifest only its documents run. Requests may name
// a document alone: by extensions.persistedQuery.sha256Hash, or by a
// document identifier (internal/gqlhttp reads documentId, Relay's doc_id
// and id).
//
// The error codes (extensions.code) are a contract with clients; Apollo
// Client retries with the full document on PERSISTED_QUERY_NOT_FOUND (or the
// message PersistedQueryNotFound) and stops hashing on
// PERSISTED_QUERY_NOT_SUPPORTED.
package persisted

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"users/internal/gqlhttp"
)

// The error codes, and Apollo's messages for the two its clients act on.
const (
	CodeNotFound     = "PERSISTED_QUERY_NOT_FOUND"
	CodeNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"
	CodeHashMismatch = "PERSISTED_QUERY_HASH_MISMATCH"
	CodeInvalid      = "PERSISTED_QUERY_INVALID"
	CodeNotInList    = "PERSISTED_QUERY_NOT_IN_LIST"
	CodeTrustedOnly  = "TRUSTED_DOCUMENTS_ONLY"
)

// Extension resolves persisted operations. Register it with the handler's
// Use after the limits (depth, complexity): an APQ registration is stored
// only once its document has passed them.
type Extension struct {
	// Store holds APQ documents; nil turns APQ off (hash-only requests get
	// PERSISTED_QUERY_NOT_SUPPORTED).
	Store Store
	// Trusted, when set, is the only source of documents: any other
	// document, an APQ registration included, is refused.
	Trusted *Manifest
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = Extension{}

func (Extension) ExtensionName() string                   { return "PersistedOperations" }
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

// registration is what MutateOperationParameters leaves for
// MutateOperationContext: an APQ document to store once it is valid.
type registration struct{ hash string }

const statsKey = "PersistedOperations"

// MutateOperationParameters finds the document a request names, or checks
// the one it sends.
func (e Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	id := gqlhttp.DocumentID(ctx)
	hash, apq, err := apqHash(p.Extensions)
	if err != nil {
		return err
	}
	if e.Trusted != nil {
		return e.trusted(p, id, hash, apq)
	}
	if id == "" && !apq {
		return nil
	}
	if e.Store == nil {
		return newError(CodeNotSupported, "PersistedQueryNotSupported")
	}
	if id != "" {
		// Without a manifest the documents are APQ's, which only a SHA-256
		// identifier can name.
		h, ok := strings.CutPrefix(id, "sha256:")
		if !ok || !isSHA256(h) {
			return newError(CodeNotFound, "PersistedQueryNotFound")
		}
		hash = h
	}
	if p.Query == "" {
		q, ok := e.Store.Get(ctx, hash)
		if !ok {
			return newError(CodeNotFound, "PersistedQueryNotFound")
		}
		p.Query = q
		return nil
	}
	if sha256Hex(p.Query) != hash {
		return newError(CodeHashMismatch, "provided sha does not match query")
	}
	graphql.GetOperationContext(ctx).Stats.SetExtension(statsKey, registration{hash: hash})
	return nil
}

// MutateOperationContext stores an APQ registration whose document passed
// parsing, validation and the limits, so the store never holds junk.
func (e Extension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if reg, ok := oc.Stats.GetExtension(statsKey).(registration); ok && e.Store != nil {
		e.Store.Add(ctx, reg.hash, oc.RawQuery)
	}
	return nil
}

// trusted resolves a request against the manifest alone.
func (e Extension) trusted(p *graphql.RawParams, id, hash string, apq bool) *gqlerror.Error {
	if p.Query != "" {
		if !e.Trusted.Has(p.Query) {
			return newError(CodeTrustedOnly, "this server runs only the documents of its trusted documents manifest: send a listed document, or its id")
		}
		return nil
	}
	if id == "" && apq {
		id = hash
	}
	q, ok := e.Trusted.Lookup(id)
	if !ok {
		return newError(CodeNotInList, "no document with this id in the trusted documents manifest")
	}
	p.Query = q
	return nil
}

// apqHash reads extensions.persistedQuery: ok is false when there is none.
// The hash is any short string: a manifest's ids need not be SHA-256 (an
// APQ lookup of another just finds nothing).
func apqHash(ext map[string]any) (hash string, ok bool, err *gqlerror.Error) {
	v, present := ext["persistedQuery"]
	if !present || v == nil {
		return "", false, nil
	}
	pq, _ := v.(map[string]any)
	hash, _ = pq["sha256Hash"].(string)
	if pq == nil || hash == "" || len(hash) > maxHashLen {
		return "", false, newError(CodeInvalid, "extensions.persistedQuery must be {version: 1, sha256Hash: <the document's SHA-256 in lower-case hex>}")
	}
	if version := pq["version"]; version == nil || !isOne(version) {
		return "", false, newError(CodeNotSupported, "PersistedQueryNotSupported: only version 1 of extensions.persistedQuery is supported")
	}
	return hash, true, nil
}

// maxHashLen bounds extensions.persistedQuery.sha256Hash, like a document id.
const maxHashLen = 256

// isOne reports whether a decoded JSON number is 1 (json.Number from the
// transport, float64 from elsewhere).
func isOne(v any) bool {
	switch n := v.(type) {
	case interface{ String() string }:
		return n.String() == "1"
	case float64:
		return n == 1
	case int64:
		return n == 1
	case int:
		return n == 1
	}
	return false
}

func newError(code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code}}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// isSHA256 reports whether s is a SHA-256 in lower-case hex.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
