package rest

import (
	"net/http"

	"users/internal/legacy"
)

// meta is the legacy envelope's status block.
// legacy contract: do not rename the JSON keys or reorder the fields.
type meta struct {
	Code        int    `json:"code"`
	Message     string `json:"message"`
	Description any    `json:"description,omitempty"`
}

// okHead opens the envelope of every success, as legacy's on_success wrote
// it; the data and a closing brace follow.
const okHead = `{"meta": {"code": 200, "message": "OK"}, "data": `

// writeJSON writes v as legacy did: Python's json.dumps formatting and the
// content type without a charset parameter.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := legacy.Marshal(v)
	if err != nil {
		// Only our own types are written here; a failure is a programming error.
		panic(err)
	}
	writeBody(w, status, body)
}

// writeOK writes a success envelope whose data appendData appends, in
// Python's JSON form.
func writeOK(w http.ResponseWriter, appendData func(b []byte) []byte) {
	b := append(make([]byte, 0, 512), okHead...)
	writeBody(w, http.StatusOK, append(appendData(b), '}'))
}

// writeMeta writes an error envelope: legacy errors carry no "data" key.
func writeMeta(w http.ResponseWriter, status int, m meta) {
	writeJSON(w, status, struct {
		Meta meta `json:"meta"`
	}{m})
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
