package apptest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Envelope is the legacy REST body: {"meta": {"code", "message"[,
// "description"]}[, "data"]}.
type Envelope struct {
	Meta Meta            `json:"meta"`
	Data json.RawMessage `json:"data"`
}

// Meta is the legacy envelope's status part.
type Meta struct {
	Code        int    `json:"code"`
	Message     string `json:"message"`
	Description any    `json:"description"` // nil when absent
}

// DecodeEnvelope decodes a legacy REST body, failing the test if it is not
// an envelope (not JSON, or no meta code).
func DecodeEnvelope(tb testing.TB, body []byte) Envelope {
	tb.Helper()
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil || e.Meta.Code == 0 {
		tb.Fatalf("not a legacy envelope (%v): %.300q", err, body)
	}
	return e
}

// GraphQLResponse is a decoded GraphQL answer.
type GraphQLResponse struct {
	Status int             `json:"-"`    // the HTTP status
	Body   []byte          `json:"-"`    // the body as received
	Data   json.RawMessage `json:"data"` // "null" or absent when there is none
	Errors []GraphQLError  `json:"errors"`
}

// GraphQLError is one entry of a GraphQL answer's errors.
type GraphQLError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code, "" when there is none.
func (e GraphQLError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// Code returns the extensions.code of the first error, "" when there is none.
func (r GraphQLResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}

// Codes returns the extensions.code of every error by the first element of
// its path (the field's alias), "" for errors without a path (request
// errors).
func (r GraphQLResponse) Codes() map[string]string {
	out := map[string]string{}
	for _, e := range r.Errors {
		key := ""
		if len(e.Path) > 0 {
			key = fmt.Sprint(e.Path[0])
		}
		out[key] = e.Code()
	}
	return out
}

// HasData reports whether data is an object rather than null or absent.
func (r GraphQLResponse) HasData() bool {
	d := strings.TrimSpace(string(r.Data))
	return d != "" && d != "null"
}

// Field returns data's member name as JSON, nil when data or the member is
// absent.
func (r GraphQLResponse) Field(name string) json.RawMessage {
	var fields map[string]json.RawMessage
	if json.Unmarshal(r.Data, &fields) != nil {
		return nil
	}
	return fields[name]
}

// Decode unmarshals r.Data into v, failing the test if r has errors.
func (r GraphQLResponse) Decode(tb testing.TB, v any) {
	tb.Helper()
	if len(r.Errors) > 0 {
		tb.Fatalf("graphql errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		tb.Fatalf("decode data %s: %v", r.Data, err)
	}
}
