package model

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSONObject is the Map scalar: a JSON object held as its text, as
// PostgreSQL's jsonb wrote it or as it will be stored; nil is null. No
// transport decodes it: GraphQL writes the text as it is, REST in Python's
// form (internal/legacy).
type JSONObject []byte

// MarshalGQL writes the text as it is: jsonb's text is valid JSON.
func (o JSONObject) MarshalGQL(w io.Writer) {
	if o == nil {
		_, _ = io.WriteString(w, "null")
		return
	}
	_, _ = w.Write(o)
}

// UnmarshalGQL takes a Map input as gqlgen reads it, from variables or from
// a literal, and keeps its JSON text (EncodeJSONObject). Anything but an
// object is an input error.
func (o *JSONObject) UnmarshalGQL(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%T is not a JSON object", v)
	}
	text, err := EncodeJSONObject(m)
	if err != nil {
		return err
	}
	*o = text
	return nil
}

// EncodeJSONObject returns the JSON text of a decoded object, as both
// transports store an info object: encoding/json's, keys sorted, "<", ">"
// and "&" escaped (the info bounds count them as written), numbers as given
// (a json.Number keeps its text). It fails on what JSON cannot hold (an
// infinite float).
func EncodeJSONObject(m map[string]any) (JSONObject, error) {
	if m == nil {
		return nil, nil
	}
	text, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode JSON object: %w", err)
	}
	return text, nil
}
