package gqlhttp

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestEncodeResponse: the response written without re-encoding Data is
// byte for byte what json.Marshal writes (when no string holds "<", ">" or
// "&", which json.Marshal alone escapes), whatever parts it has.
func TestEncodeResponse(t *testing.T) {
	t.Parallel()
	yes := true
	tests := []struct {
		name string
		resp graphql.Response
	}{
		{"data", graphql.Response{Data: json.RawMessage(`{"users":{"nodes":[{"id":"VXNlcjo3","info":{"a":[1,2.5e3,null]}}]}}`)}},
		{"no data", graphql.Response{}},
		{"null data and errors", graphql.Response{Data: json.RawMessage(`null`), Errors: gqlerror.List{
			{Message: "User Not Exists", Path: ast.Path{ast.PathName("user")}, Extensions: map[string]any{"code": "USER_NOT_EXISTS"}},
		}}},
		{"data, errors and extensions", graphql.Response{
			Data:       json.RawMessage(`{"me":null}`),
			Errors:     gqlerror.List{{Message: "boom \"quoted\"", Locations: []gqlerror.Location{{Line: 1, Column: 3}}}},
			Extensions: map[string]any{"complexity": 3, "b": []int{1}},
		}},
		{"incremental", graphql.Response{Data: json.RawMessage(`{}`), Label: "l", HasNext: &yes}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeResponse(&tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(&tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encodeResponse = %s\njson.Marshal  = %s", got, want)
			}
		})
	}
}

// TestEncodeResponseHTML: strings with "<", ">" and "&" stay as written,
// and the document still decodes to the same value json.Marshal's does.
func TestEncodeResponseHTML(t *testing.T) {
	t.Parallel()
	resp := graphql.Response{Data: json.RawMessage(`{"username":"<b>&amp;</b>"}`)}
	got, err := encodeResponse(&resp)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"data":{"username":"<b>&amp;</b>"}}`; string(got) != want {
		t.Errorf("encodeResponse = %s, want %s", got, want)
	}
	marshalled, _ := json.Marshal(&resp)
	var a, b any
	if json.Unmarshal(got, &a) != nil || json.Unmarshal(marshalled, &b) != nil {
		t.Fatal("not JSON")
	}
	if ja, jb := must(json.Marshal(a)), must(json.Marshal(b)); !bytes.Equal(ja, jb) {
		t.Errorf("decoded values differ: %s vs %s", ja, jb)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
