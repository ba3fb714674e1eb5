package gqlhttp

import "context"

type documentIDKey struct{}

// DocumentID returns the document identifier of a persisted document
// request (documentId, or Relay's doc_id or id), as the transport read it
// for the request in ctx; "" when the request sent none. The server's
// persisted documents resolve it (Transport.PersistedDocuments).
func DocumentID(ctx context.Context) string {
	id, _ := ctx.Value(documentIDKey{}).(string)
	return id
}

func withDocumentID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, documentIDKey{}, id)
}
