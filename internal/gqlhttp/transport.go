// Package gqlhttp is a gqlgen transport that serves GraphQL over HTTP GET and
// POST as the GraphQL over HTTP specification describes it
// (https://graphql.github.io/graphql-over-http/draft/, the working draft that
// became the September 2026 edition), including its SHOULD and RECOMMENDED
// rules.
//
// Register it on a gqlgen server with
//
//	srv := handler.New(es)
//	srv.AddTransport(gqlhttp.Transport{})
//
// Add streaming transports (WebSocket, SSE, multipart) before this one:
// gqlgen picks the first transport whose Supports method answers true, and
// this transport answers true for every GET and POST without an Upgrade
// header.
//
// # Rules implemented (section names of the specification)
//
// Request media type ("POST", "JSON Encoding"): a POST body must be
// application/json, optionally with charset=utf-8; no Content-Type, another
// media type or another charset is answered with 415. The body is read up
// to Transport.MaxBodyBytes; a larger body is answered with 413. A body that
// is not valid UTF-8 or not valid JSON is answered with 400. A JSON value that
// is not an object with a string "query", and optional "operationName"
// (string), "variables" (object) and "extensions" (object), is not a
// well-formed GraphQL-over-HTTP request and is answered with 422. null for an
// optional parameter means the parameter is absent; unknown properties are
// ignored.
//
// GET ("GET"): the parameters come from the URL query string; "variables" and
// "extensions" are JSON text; the empty string for an optional parameter
// means the parameter is absent. A mutation over GET is answered with 405 and
// "Allow: POST" and is not executed.
//
// Persisted documents (the specification's appendix "Persisted Documents",
// and Apollo's automatic persisted queries): with
// Transport.PersistedDocuments, a request may leave out query (or send it
// empty) and name its document instead: documentId (a string of at most 256
// bytes; with query too it is a 422), or Relay's doc_id or id (strings,
// read only when neither query nor documentId is given), or Apollo's
// extensions.persistedQuery. Without any of them query is required (422).
// The server resolves the name (see DocumentID); an unknown one is a GraphQL
// request error with a single error.
//
// Response media type ("Accept", "Body"): see [Transport.Do].
//
// Status codes ("Status Codes"):
//
//	data present, no errors                        200
//	data present (even null) with errors           294 (Partial Success)
//	method not GET or POST                         405, Allow: GET, POST
//	mutation over GET                              405, Allow: POST
//	unsupported Content-Type or charset            415
//	no acceptable response media type              406
//	body larger than MaxBodyBytes                  413
//	body not UTF-8 or not parseable JSON           400
//	not a well-formed GraphQL-over-HTTP request    422
//	GraphQL document cannot be parsed              400
//	validation failure, operation not determined,  422
//	variable coercion failure
//	subscription (needs a streaming transport)     406
//
// A response without a data entry (a GraphQL request error result) never
// carries "data", so a client can tell it from an execution result.
//
// Error messages produced here never quote the request body, the URL query
// string or variable values. Request errors reported by gqlgen that would quote
// the operationName or a variable value are rewritten before they are sent.
// Parse and validation errors about the GraphQL document itself still quote
// parts of the document (that is how GraphQL diagnostics work); secrets belong
// in variables, not in document literals.
//
// Every response carries "Cache-Control: no-store" because it may hold user
// data, and a Content-Type with "; charset=utf-8".
package gqlhttp

import (
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/99designs/gqlgen/graphql"
)

// DefaultMaxBodyBytes is the request body limit used when
// Transport.MaxBodyBytes is zero or negative: 1 MiB.
const DefaultMaxBodyBytes int64 = 1 << 20

// StatusPartialSuccess is the status code the GraphQL over HTTP specification
// recommends ("Status Codes", "Partial success") for a response that carries
// both a data entry (even null) and errors. It is not registered with IANA;
// HTTP clients that do not know it treat it as 200.
const StatusPartialSuccess = 294

// Transport serves GraphQL over HTTP GET and POST.
//
// The zero value is ready to use.
type Transport struct {
	MaxBodyBytes int64 // request body limit; 0 means 1 MiB
	// PersistedDocuments accepts requests that name a persisted document
	// instead of sending query (see "Persisted documents" above); the
	// server must resolve them, in a gqlgen OperationParameterMutator that
	// reads the identifier with DocumentID or Apollo's
	// extensions.persistedQuery.
	PersistedDocuments bool
}

var _ graphql.Transport = Transport{}

// Supports reports whether the transport handles r: true for GET and POST
// requests, false when an Upgrade header is set. It does not look at the
// Content-Type: an unsupported one is answered by Do with 415.
func (Transport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	return r.Method == http.MethodGet || r.Method == http.MethodPost
}

// Do serves one GraphQL-over-HTTP request.
//
// The response media type is negotiated from the Accept header (sections
// "Accept" and "Body" of the specification), using the media types
// application/graphql-response+json and application/json and the rules of
// RFC 9110 section 12.5.1:
//
//   - Each of the two types takes the quality of the most specific media range
//     that matches it (type/subtype with parameters, then type/subtype, then
//     application/*, then */*). A range whose charset is not utf-8 does not
//     match. q=0 means not acceptable.
//   - The type with the higher quality wins. On equal quality the type named
//     more specifically wins (application/json beats */*), then the one listed
//     first; when both are matched by the same range (*/* or application/*),
//     application/graphql-response+json wins, as it is the specification's
//     response media type.
//   - No Accept header (or an empty one) means any media type (RFC 9110) and
//     gives application/graphql-response+json. The specification leaves this
//     case to the server ("Accept": "the server may respond with an error, or
//     with any content type it chooses"); its earlier rule for legacy clients
//     (no Accept meant application/json) was removed with the legacy
//     watershed.
//   - An Accept header that allows neither type is answered with 406 and a
//     JSON error body in application/json ("Body": SHOULD respond with 406).
//
// When application/json wins the client is a legacy client ("Body"): the
// request is served exactly as for application/graphql-response+json, with
// the same status codes, except that a 2xx response is labelled
// application/json. Responses with a 4xx or 5xx status keep
// application/graphql-response+json, which tells the client that the body is
// a GraphQL response and not an error page from an intermediary.
func (t Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	media, acceptable := negotiate(r.Header.Values("Accept"))

	var (
		params *graphql.RawParams
		docID  string
		rerr   *requestError
	)
	switch r.Method {
	case http.MethodGet:
		if !acceptable {
			writeNotAcceptable(w)
			return
		}
		params, docID, rerr = readGET(r, t.PersistedDocuments)
	case http.MethodPost:
		if rerr = checkContentType(r.Header); rerr != nil {
			break
		}
		if !acceptable {
			writeNotAcceptable(w)
			return
		}
		params, docID, rerr = readPOST(w, r, t.maxBodyBytes(), t.PersistedDocuments)
	default:
		w.Header().Set("Allow", "GET, POST")
		rerr = &requestError{
			status:  http.StatusMethodNotAllowed,
			message: "GraphQL requests must use GET or POST",
		}
	}
	if rerr != nil {
		writeErrorResult(w, rerr.status, errorResult{Errors: gqlerror.List{{Message: rerr.message}}})
		return
	}

	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	ctx := withDocumentID(r.Context(), docID)

	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		errs = sanitizeRequestErrors(errs, params.OperationName)
		errCtx := ctx
		if opCtx != nil {
			errCtx = graphql.WithOperationContext(ctx, opCtx)
		}
		writeErrorResult(w, requestErrorStatus(errs), dispatchedErrors(exec.DispatchError(errCtx, errs), errs))
		return
	}
	if opCtx == nil || opCtx.Operation == nil {
		writeErrorResult(w, http.StatusInternalServerError,
			errorResult{Errors: gqlerror.List{{Message: "the operation could not be prepared"}}})
		return
	}

	switch op := opCtx.Operation.Operation; {
	case r.Method == http.MethodGet && op == ast.Mutation:
		// "GET": GET requests MUST NOT be used for executing mutation
		// operations; 405 is RECOMMENDED and needs an Allow header.
		w.Header().Set("Allow", http.MethodPost)
		writeErrorResult(w, http.StatusMethodNotAllowed,
			errorResult{Errors: gqlerror.List{{Message: "mutations cannot be executed over GET; use POST"}}})
		return
	case op == ast.Subscription:
		// Subscriptions are outside the specification; a single JSON response
		// cannot represent an event stream.
		writeErrorResult(w, http.StatusNotAcceptable, errorResult{Errors: gqlerror.List{{
			Message: "subscriptions need a streaming transport (WebSocket or SSE); " +
				"they cannot be answered with a single JSON response",
		}}})
		return
	}

	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	var resp *graphql.Response
	if responses != nil {
		resp = responses(ctx)
	}
	if resp == nil {
		writeErrorResult(w, http.StatusInternalServerError,
			errorResult{Errors: gqlerror.List{{Message: "the operation produced no response"}}})
		return
	}
	writeExecutionResult(w, media, resp)
}

func (t Transport) maxBodyBytes() int64 {
	if t.MaxBodyBytes > 0 {
		return t.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}
