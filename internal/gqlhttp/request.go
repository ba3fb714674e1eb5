package gqlhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// requestError is a request rejected before it reaches the executor. Its
// message never quotes the request body, the query string or any value.
type requestError struct {
	status  int
	message string
}

const (
	bodyPrefix = "request body is not a valid GraphQL request: "
	urlPrefix  = "request URL is not a valid GraphQL request: "
)

func badBody(status int, format string, args ...any) *requestError {
	return &requestError{status: status, message: bodyPrefix + fmt.Sprintf(format, args...)}
}

func badURL(status int, format string, args ...any) *requestError {
	return &requestError{status: status, message: urlPrefix + fmt.Sprintf(format, args...)}
}

// checkContentType accepts application/json with no charset or charset=utf-8
// ("POST"); anything else, including a missing Content-Type, is a 415.
func checkContentType(h http.Header) *requestError {
	const hint = "; send application/json (UTF-8)"
	unsupported := func(what string) *requestError {
		return &requestError{status: http.StatusUnsupportedMediaType, message: what + hint}
	}
	ct := h.Get("Content-Type")
	if strings.TrimSpace(ct) == "" {
		return unsupported("a Content-Type header is required")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return unsupported("the Content-Type header is not a valid media type")
	}
	if mt != "application/json" {
		return unsupported("unsupported Content-Type")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupported("unsupported charset")
	}
	return nil
}

// readPOST reads and decodes a POST body of at most limit bytes; persisted
// says whether a persisted document request is accepted (see
// paramsFromObject).
func readPOST(w http.ResponseWriter, r *http.Request, limit int64, persisted bool) (*graphql.RawParams, string, *requestError) {
	tooLarge := badBody(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", limit)
	if r.ContentLength > limit {
		return nil, "", tooLarge
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, "", tooLarge
			}
			return nil, "", badBody(http.StatusBadRequest, "the body could not be read")
		}
	}
	if len(body) == 0 {
		return nil, "", badBody(http.StatusBadRequest, "the body is empty")
	}
	if !utf8.Valid(body) {
		return nil, "", badBody(http.StatusBadRequest, "the body is not valid UTF-8")
	}
	v, what := decodeJSON(body)
	if what != "" {
		return nil, "", badBody(http.StatusBadRequest, "%s", what)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, "", badBody(http.StatusUnprocessableEntity, "the body must be a JSON object")
	}
	return paramsFromObject(obj, persisted)
}

// paramsFromObject checks the members of a JSON-encoded request ("JSON
// Encoding"): query is a required string; operationName a string, variables
// and extensions objects, each optional, null meaning absent. Other members
// are ignored. With persisted, a persisted document request (see
// documentID) may name its document instead of sending query; the
// document's id is returned.
func paramsFromObject(obj map[string]any, persisted bool) (*graphql.RawParams, string, *requestError) {
	params := &graphql.RawParams{}
	switch q := obj["query"].(type) {
	case string:
		params.Query = q
	case nil:
	default:
		return nil, "", badBody(http.StatusUnprocessableEntity, `the "query" member must be a string`)
	}
	switch name := obj["operationName"].(type) {
	case string:
		params.OperationName = name
	case nil:
	default:
		return nil, "", badBody(http.StatusUnprocessableEntity, `the "operationName" member must be a string or null`)
	}
	var ok bool
	if params.Variables, ok = optionalObject(obj["variables"]); !ok {
		return nil, "", badBody(http.StatusUnprocessableEntity, `the "variables" member must be an object or null`)
	}
	if params.Extensions, ok = optionalObject(obj["extensions"]); !ok {
		return nil, "", badBody(http.StatusUnprocessableEntity, `the "extensions" member must be an object or null`)
	}
	_, isString := obj["query"].(string)
	hasQuery := isString && (!persisted || params.Query != "")
	id, what := documentID(func(name string) (any, bool) { v, ok := obj[name]; return v, ok }, hasQuery, params, persisted)
	if what != "" {
		return nil, "", badBody(http.StatusUnprocessableEntity, "%s", strings.ReplaceAll(what, "parameter", "member"))
	}
	return params, id, nil
}

// The members a persisted document request names its document with: the
// GraphQL-over-HTTP persisted documents appendix's, then the two Relay
// network layers commonly send.
var documentIDNames = []string{"documentId", "doc_id", "id"}

// documentID checks how a request names its GraphQL document. Without
// persisted, query is required. With it, a request may instead give a
// document identifier (documentId; Relay's doc_id or id, read only when
// neither query nor documentId is there) or Apollo's
// extensions.persistedQuery, and documentID returns the identifier ("" for
// none); what the persisted documents are is up to the server. hasQuery
// says whether the request gave a query (an empty one counts only without
// persisted). On a bad request it returns what is wrong, naming parameters
// "parameter".
func documentID(get func(name string) (any, bool), hasQuery bool, params *graphql.RawParams, persisted bool) (id, what string) {
	if !persisted {
		if !hasQuery {
			return "", `the "query" parameter is required`
		}
		return "", ""
	}
	for _, name := range documentIDNames {
		v, present := get(name)
		if !present || v == nil || v == "" {
			continue
		}
		s, ok := v.(string)
		if !ok {
			if name != "documentId" {
				continue // a Relay-style name used for something else
			}
			return "", `the "documentId" parameter must be a string`
		}
		if hasQuery {
			if name != "documentId" {
				break
			}
			return "", `give either the "query" parameter or "documentId", not both`
		}
		if len(s) > maxDocumentIDLen {
			return "", fmt.Sprintf("the %q parameter is longer than %d bytes", name, maxDocumentIDLen)
		}
		return s, ""
	}
	if !hasQuery && params.Extensions["persistedQuery"] == nil {
		return "", `the "query" parameter is required (or "documentId" for a persisted document)`
	}
	return "", ""
}

// maxDocumentIDLen bounds a document identifier: a sha256 one takes 71 bytes.
const maxDocumentIDLen = 256

// optionalObject accepts a JSON object or null (nil).
func optionalObject(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case nil:
		return nil, true
	default:
		return nil, false
	}
}

// readGET reads the parameters from the URL query string ("GET"); for
// persisted, see paramsFromObject.
func readGET(r *http.Request, persisted bool) (*graphql.RawParams, string, *requestError) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, "", badURL(http.StatusBadRequest, "the query string is not valid application/x-www-form-urlencoded")
	}
	get := func(name string) (string, *requestError) {
		vs := values[name]
		switch {
		case len(vs) > 1:
			return "", badURL(http.StatusUnprocessableEntity, "the %q parameter is given more than once", name)
		case len(vs) == 0:
			return "", nil
		case !utf8.ValidString(vs[0]):
			return "", badURL(http.StatusBadRequest, "the %q parameter is not valid UTF-8", name)
		}
		return vs[0], nil
	}

	query, rerr := get("query")
	if rerr != nil {
		return nil, "", rerr
	}
	operationName, rerr := get("operationName")
	if rerr != nil {
		return nil, "", rerr
	}
	params := &graphql.RawParams{Query: query, OperationName: operationName}
	if params.Variables, rerr = getObject(get, "variables"); rerr != nil {
		return nil, "", rerr
	}
	if params.Extensions, rerr = getObject(get, "extensions"); rerr != nil {
		return nil, "", rerr
	}
	for _, name := range documentIDNames {
		if _, rerr := get(name); rerr != nil {
			return nil, "", rerr
		}
	}
	_, present := values["query"]
	hasQuery := present && (!persisted || query != "")
	id, what := documentID(func(name string) (any, bool) {
		vs, ok := values[name]
		if !ok {
			return nil, false
		}
		return vs[0], true
	}, hasQuery, params, persisted)
	if what != "" {
		return nil, "", badURL(http.StatusUnprocessableEntity, "%s", what)
	}
	return params, id, nil
}

// getObject reads a GET parameter holding JSON text that must be an object
// or null; the empty string means the parameter is absent.
func getObject(get func(string) (string, *requestError), name string) (map[string]any, *requestError) {
	text, rerr := get(name)
	if rerr != nil || text == "" {
		return nil, rerr
	}
	v, what := decodeJSON([]byte(text))
	if what != "" {
		return nil, badURL(http.StatusBadRequest, "the %q parameter is not valid JSON: %s", name, what)
	}
	m, ok := optionalObject(v)
	if !ok {
		return nil, badURL(http.StatusUnprocessableEntity, "the %q parameter must be a JSON object", name)
	}
	return m, nil
}

// decodeJSON decodes exactly one JSON value, with numbers as json.Number like
// gqlgen's own transports. On failure it returns a description of what is
// wrong that does not quote the input.
func decodeJSON(data []byte) (v any, what string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return nil, fmt.Sprintf("malformed JSON at byte offset %d", se.Offset)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, "unexpected end of JSON input"
		}
		return nil, "malformed JSON"
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Sprintf("unexpected data after the JSON value at byte offset %d", dec.InputOffset())
	}
	return v, ""
}
