package app

import (
	"net/http"
	"strings"

	"github.com/rs/cors"
)

// corsPolicy lets browser apps on the listed origins (CORS_ALLOWED_ORIGINS)
// call the API with credentials. Origins match exactly (scheme, host and
// port; case-insensitive): no wildcard, no pattern, no "null". With no origin
// listed there is no CORS at all, and browsers keep other sites out.
func corsPolicy(origins []string) func(http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		if o != "" && o != "null" && !strings.Contains(o, "*") {
			allowed[o] = true
		}
	}
	if len(allowed) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return cors.New(cors.Options{
		// A func, not AllowedOrigins: the library reads "*" in a listed
		// origin as a wildcard.
		AllowOriginFunc: func(origin string) bool { return allowed[strings.ToLower(origin)] },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		// Apollo Client sends the apollographql-* headers when an app sets
		// its client name and version (clientAwareness), and the library's
		// with enhancedClientAwareness' headers transport.
		AllowedHeaders: []string{"Authorization", "Content-Type",
			"Apollographql-Client-Name", "Apollographql-Client-Version",
			"Apollographql-Library-Name", "Apollographql-Library-Version"},
		ExposedHeaders:   []string{"Retry-After", "X-Request-Id", "Link"},
		AllowCredentials: true,
		MaxAge:           600,
	}).Handler
}
