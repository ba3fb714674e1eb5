package gqlhttp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/99designs/gqlgen/graphql"

	"users/internal/gqlhttp"
)

// documents is a stand-in for the server's persisted documents: it knows
// two identifiers and Apollo's hash "h".
type documents map[string]string

func (documents) ExtensionName() string                   { return "documents" }
func (documents) Validate(graphql.ExecutableSchema) error { return nil }
func (d documents) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	id := gqlhttp.DocumentID(ctx)
	if pq, ok := p.Extensions["persistedQuery"].(map[string]any); ok && id == "" {
		id, _ = pq["sha256Hash"].(string)
	}
	if id == "" {
		return nil
	}
	if p.Query != "" {
		return gqlerror.Errorf("the transport passed on a query with a document id")
	}
	q, ok := d[id]
	if !ok {
		return gqlerror.Errorf("PersistedQueryNotFound")
	}
	p.Query = q
	return nil
}

func TestPersistedDocumentRequests(t *testing.T) {
	srv := newServer(plain, gqlhttp.Transport{PersistedDocuments: true})
	srv.Use(documents{"sha256:q": "{ name }", "relay1": "query Q { name }", "h": "{ name }", "m": "mutation { name }"})
	off := newServer(plain, gqlhttp.Transport{})

	tests := []struct {
		name   string
		h      http.Handler
		req    *http.Request
		status int
	}{
		{"documentId", srv, post(`{"documentId": "sha256:q"}`), 200},
		{"documentId with variables and operationName", srv, post(`{"documentId": "relay1", "operationName": "Q", "variables": {}}`), 200},
		{"Relay's doc_id", srv, post(`{"doc_id": "relay1", "variables": {}}`), 200},
		{"Relay's id", srv, post(`{"id": "relay1", "query": null, "variables": {}}`), 200},
		{"an empty query counts as none", srv, post(`{"query": "", "documentId": "relay1"}`), 200},
		{"Apollo's hash alone", srv, post(`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "h"}}}`), 200},
		{"an unknown document", srv, post(`{"documentId": "sha256:nope"}`), 422},
		{"query and documentId", srv, post(`{"query": "{ name }", "documentId": "sha256:q"}`), 422},
		{"query with Relay's id: the query runs", srv, post(`{"query": "{ name }", "id": "other"}`), 200},
		{"documentId not a string", srv, post(`{"documentId": 5}`), 422},
		{"an id not a string is not a document id", srv, post(`{"id": 5}`), 422},
		{"documentId too long", srv, post(`{"documentId": "` + strings.Repeat("a", 300) + `"}`), 422},
		{"neither query nor a document", srv, post(`{"variables": {}}`), 422},
		{"GET documentId", srv, get(graphQLResponse, "documentId", "sha256:q"), 200},
		{"GET doc_id", srv, get(graphQLResponse, "doc_id", "relay1"), 200},
		{"GET Apollo's hash", srv, get(graphQLResponse, "extensions", `{"persistedQuery":{"version":1,"sha256Hash":"h"}}`), 200},
		{"GET a mutation by id", srv, get(graphQLResponse, "documentId", "m"), 405},
		{"GET documentId twice", srv, get(graphQLResponse, "documentId", "relay1", "documentId", "relay1"), 422},
		{"GET neither", srv, get(graphQLResponse, "variables", "{}"), 422},
		{"off: documentId alone", off, post(`{"documentId": "sha256:q"}`), 422},
		{"off: GET documentId alone", off, get(graphQLResponse, "documentId", "sha256:q"), 422},
		{"off: an empty query is still a query", off, post(`{"query": ""}`), 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := serve(t, tt.h, tt.req)
			if r.status != tt.status {
				t.Errorf("status %d, want %d: %s", r.status, tt.status, r.raw)
			}
		})
	}
}
