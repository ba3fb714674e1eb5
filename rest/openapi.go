package rest

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 description of this REST layer (and of the
// operations endpoints), served at /openapi.json. rest/openapi_test.go sends
// every documented example to the running server, so it stays true.
//
//go:embed openapi.json
var OpenAPI []byte

// handleOpenAPI serves the embedded OpenAPI document.
func handleOpenAPI() http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(OpenAPI)
	}
}
