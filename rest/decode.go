package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"

	"users/internal/apperr"
)

// The legacy JSON translator's descriptions. legacy contract: do not reword.
var (
	errMalformed = &apperr.Error{Code: apperr.Invalid, Message: "invalid parameter", Detail: "No JSON object could be decoded or Malformed JSON"}
	errNotUTF8   = &apperr.Error{Code: apperr.Invalid, Message: "invalid parameter", Detail: "Cannot be decoded by utf-8"}
	errNotJSON   = &apperr.Error{Code: apperr.Invalid, Message: "invalid parameter", Detail: "Content-Type must be application/json"}
)

// mediaType returns the request's media type without parameters ("" if none or unparsable).
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// readBody reads the whole body; the size limit is the router's MaxBytesReader.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, &apperr.Error{Code: apperr.TooLarge, Message: "request body too large", Detail: "request body is larger than the limit"}
	case err != nil:
		return nil, errMalformed
	}
	return body, nil
}

// readJSONObject reads the body as exactly one JSON object, as Python's
// json.loads did: anything else (not UTF-8, malformed, trailing data, an array,
// null) is the legacy "malformed" error. Numbers stay json.Number.
func readJSONObject(r *http.Request) (map[string]any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(body) {
		return nil, errNotUTF8
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return nil, errMalformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errMalformed // trailing data after the object
	}
	return doc, nil
}

// readCredentials collects login fields from a JSON body, else a form body, else
// the query string (the legacy README logs in with curl -d email=... -d password=...,
// which sends a form body even with GET).
func readCredentials(r *http.Request) (map[string]any, error) {
	if mediaType(r) == "application/json" {
		return readJSONObject(r)
	}
	var form url.Values
	if mediaType(r) == "application/x-www-form-urlencoded" {
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, errMalformed
		}
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errMalformed
	}
	doc := map[string]any{}
	for _, key := range []string{"email", "password"} {
		v, ok := form[key]
		if !ok {
			v, ok = query[key]
		}
		if !ok {
			continue
		}
		if !utf8.ValidString(v[0]) {
			return nil, errNotUTF8
		}
		doc[key] = v[0]
	}
	return doc, nil
}
