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

// readPOST reads and decodes a POST body of at most limit bytes.
func readPOST(w http.ResponseWriter, r *http.Request, limit int64) (*graphql.RawParams, *requestError) {
	tooLarge := badBody(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", limit)
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, tooLarge
			}
			return nil, badBody(http.StatusBadRequest, "the body could not be read")
		}
	}
	if len(body) == 0 {
		return nil, badBody(http.StatusBadRequest, "the body is empty")
	}
	if !utf8.Valid(body) {
		return nil, badBody(http.StatusBadRequest, "the body is not valid UTF-8")
	}
	v, what := decodeJSON(body)
	if what != "" {
		return nil, badBody(http.StatusBadRequest, "%s", what)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badBody(http.StatusUnprocessableEntity, "the body must be a JSON object")
	}
	return paramsFromObject(obj)
}

// paramsFromObject checks the members of a JSON-encoded request ("JSON
// Encoding"): query is a required string; operationName a string, variables
// and extensions objects, each optional, null meaning absent. Other members
// are ignored.
func paramsFromObject(obj map[string]any) (*graphql.RawParams, *requestError) {
	params := &graphql.RawParams{}
	switch q := obj["query"].(type) {
	case string:
		params.Query = q
	case nil:
		return nil, badBody(http.StatusUnprocessableEntity, `the "query" member is required`)
	default:
		return nil, badBody(http.StatusUnprocessableEntity, `the "query" member must be a string`)
	}
	switch name := obj["operationName"].(type) {
	case string:
		params.OperationName = name
	case nil:
	default:
		return nil, badBody(http.StatusUnprocessableEntity, `the "operationName" member must be a string or null`)
	}
	var ok bool
	if params.Variables, ok = optionalObject(obj["variables"]); !ok {
		return nil, badBody(http.StatusUnprocessableEntity, `the "variables" member must be an object or null`)
	}
	if params.Extensions, ok = optionalObject(obj["extensions"]); !ok {
		return nil, badBody(http.StatusUnprocessableEntity, `the "extensions" member must be an object or null`)
	}
	return params, nil
}

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

// readGET reads the parameters from the URL query string ("GET").
func readGET(r *http.Request) (*graphql.RawParams, *requestError) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badURL(http.StatusBadRequest, "the query string is not valid application/x-www-form-urlencoded")
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

	if _, ok := values["query"]; !ok {
		return nil, badURL(http.StatusUnprocessableEntity, `the "query" parameter is required`)
	}
	query, rerr := get("query")
	if rerr != nil {
		return nil, rerr
	}
	operationName, rerr := get("operationName")
	if rerr != nil {
		return nil, rerr
	}
	params := &graphql.RawParams{Query: query, OperationName: operationName}
	if params.Variables, rerr = getObject(get, "variables"); rerr != nil {
		return nil, rerr
	}
	if params.Extensions, rerr = getObject(get, "extensions"); rerr != nil {
		return nil, rerr
	}
	return params, nil
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
