package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf16"
	"unicode/utf8"
)

// meta is the legacy envelope's status block.
// legacy contract: do not rename the JSON keys or reorder the fields.
type meta struct {
	Code        int    `json:"code"`
	Message     string `json:"message"`
	Description any    `json:"description,omitempty"`
}

// okMeta is the meta of every success, as legacy's on_success wrote it.
var okMeta = meta{Code: 200, Message: "OK"}

// writeJSON writes v as legacy did: Python's json.dumps formatting and the
// content type without a charset parameter.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalPython(v)
	if err != nil {
		// Only our own types are written here; a failure is a programming error.
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeOK writes {"meta": {"code": 200, "message": "OK"}, "data": data}; data
// may be nil, which is written as null (legacy create answers "data": null).
func writeOK(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, struct {
		Meta meta `json:"meta"`
		Data any  `json:"data"`
	}{okMeta, data})
}

// writeMeta writes an error envelope: legacy errors carry no "data" key.
func writeMeta(w http.ResponseWriter, status int, m meta) {
	writeJSON(w, status, struct {
		Meta meta `json:"meta"`
	}{m})
}

// marshalPython encodes v byte for byte as Python's json.dumps did with its
// defaults: ", " and ": " separators and non-ASCII escaped as \uXXXX
// (ensure_ascii), so scripts that grep legacy answers keep working.
func marshalPython(v any) ([]byte, error) {
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	s := bytes.TrimSuffix(raw.Bytes(), []byte("\n"))
	out := make([]byte, 0, len(s)+len(s)/8)
	inString := false
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRune(s[i:])
		switch {
		case inString && c == '\\':
			out = append(out, s[i:i+2]...)
			i += 2
			continue
		case c == '"':
			inString = !inString
			out = append(out, '"')
		case !inString && (c == ',' || c == ':'):
			out = append(out, byte(c), ' ')
		case c >= utf8.RuneSelf:
			for _, u := range utf16.Encode([]rune{c}) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		default:
			out = append(out, s[i:i+size]...)
		}
		i += size
	}
	return out, nil
}
