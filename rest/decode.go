package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"users/internal/apperr"
)

// The legacy JSON translator's descriptions. legacy contract: do not reword.
var (
	errMalformed = apperr.New(apperr.Invalid, "No JSON object could be decoded or Malformed JSON")
	errNotUTF8   = apperr.New(apperr.Invalid, "Cannot be decoded by utf-8")
	errNotJSON   = apperr.New(apperr.Invalid, "Content-Type must be application/json")
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
		return nil, apperr.New(apperr.TooLarge, "request body is larger than the limit")
	case err != nil:
		return nil, errMalformed
	}
	return body, nil
}

// readJSONObject reads the body as exactly one JSON object, as Python's
// json.loads did: anything else (not UTF-8, malformed, trailing data, an array,
// null) is the legacy "malformed" error. Numbers stay json.Number. This is
// the one parser of a legacy request body; validate checks the shape of what
// it returns.
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
