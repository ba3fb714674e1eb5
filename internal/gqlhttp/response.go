package gqlhttp

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
)

const (
	contentTypeGraphQLResponse = "application/graphql-response+json; charset=utf-8"
	contentTypeJSON            = "application/json; charset=utf-8"
)

// encodeFailureBody is sent when a response cannot be encoded as JSON.
var encodeFailureBody = []byte(`{"errors":[{"message":"internal server error: the response could not be encoded"}]}`)

// errorResult is a GraphQL request error result: errors and no data entry.
// graphql.Response always encodes "data" (as null when empty), which would make
// a request error look like an execution result.
type errorResult struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// requestErrorStatus maps the errors of a failed CreateOperationContext to a
// status code ("Status Codes"): a GraphQL document that cannot be parsed is a
// 400; validation failures, an operation that cannot be determined, variable
// coercion failures and other rejections before execution are 422.
func requestErrorStatus(errs gqlerror.List) int {
	for _, e := range errs {
		if e == nil {
			continue
		}
		if code, _ := e.Extensions["code"].(string); code == errcode.ParseFailed {
			return http.StatusBadRequest
		}
	}
	return http.StatusUnprocessableEntity
}

// dispatchedErrors turns the response of GraphExecutor.DispatchError (which
// applies the error presenter and response middleware) into a request error
// result, falling back to errs if the response has no errors.
func dispatchedErrors(resp *graphql.Response, errs gqlerror.List) errorResult {
	if resp == nil || len(resp.Errors) == 0 {
		return errorResult{Errors: errs}
	}
	return errorResult{Errors: resp.Errors, Extensions: resp.Extensions}
}

// writeErrorResult writes a GraphQL request error result. Its status is 4xx
// or 5xx, so it is always labelled application/graphql-response+json, also for
// legacy clients ("Body").
func writeErrorResult(w http.ResponseWriter, status int, res errorResult) {
	writeJSON(w, status, contentTypeGraphQLResponse, res)
}

// writeNotAcceptable answers a request whose Accept header allows neither
// response media type.
func writeNotAcceptable(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotAcceptable, contentTypeJSON, errorResult{Errors: gqlerror.List{{
		Message: "none of the media types in the Accept header is supported; " +
			"accept application/graphql-response+json or application/json",
	}}})
}

// writeExecutionResult writes the result of an executed operation: 200 without
// errors, 294 with errors ("Status Codes"). A legacy client gets the 2xx
// response labelled application/json.
func writeExecutionResult(w http.ResponseWriter, media responseMedia, resp *graphql.Response) {
	status := http.StatusOK
	contentType := contentTypeGraphQLResponse
	switch {
	case media == mediaLegacyJSON:
		// 294 is a custom code the spec recommends together with the new
		// media type; a legacy application/json client gets a plain 200.
		contentType = contentTypeJSON
	case len(resp.Errors) > 0:
		status = StatusPartialSuccess
	}
	body, err := encodeResponse(resp)
	if err != nil {
		status, contentType, body = http.StatusInternalServerError, contentTypeJSON, encodeFailureBody
	}
	writeBody(w, status, contentType, body)
}

// encodeResponse writes resp as json.Marshal does, keys in the same order,
// but copies Data as it is once json.Valid has scanned it: the executor has
// already encoded it, and json.Marshal would also compact and copy it (7 %
// of the server's CPU on a 20-user page, BENCHMARKS.md). One byte-level
// difference: "<", ">" and "&" inside strings stay as they are instead of
// \u003c etc., which every JSON parser reads the same.
func encodeResponse(resp *graphql.Response) ([]byte, error) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		return json.Marshal(resp) // incremental delivery, not served here
	}
	b := make([]byte, 0, len(resp.Data)+64)
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, `"errors":`...), errs...), ',')
	}
	if len(resp.Data) > 0 && !json.Valid(resp.Data) {
		return nil, errors.New("encode response: data is not valid JSON")
	}
	b = append(b, `"data":`...)
	if len(resp.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, resp.Data...)
	}
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"extensions":`...), ext...)
	}
	return append(b, '}'), nil
}

// writeJSON encodes v and writes it with the given status and Content-Type.
// If v cannot be encoded it writes a 500 with a fixed application/json body:
// such a failure prevents a well-formed GraphQL-over-HTTP response, which
// must not use application/graphql-response+json ("Status Codes").
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, contentType, body = http.StatusInternalServerError, contentTypeJSON, encodeFailureBody
	}
	writeBody(w, status, contentType, body)
}

// writeBody writes an encoded response with the given status and Content-Type.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body) // best effort: the client may be gone
}
