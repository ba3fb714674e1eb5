// Package rest is the compatibility layer for the legacy Falcon service's
// /v1/users API: its routes, input decoding, "meta" envelope, status codes and
// texts. Every operation calls the GraphQL resolvers, so no rule lives here.
package rest

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"users/graph"
)

// Routes registers every legacy resource on mux, whose middleware must include
// RoutePath, and answers the rest as the legacy router did (router.go):
// OPTIONS 200, other methods on a legacy path 404, 405 or 400, and any
// unknown path or method 404, all with the envelope's "Not Supported" (code
// 10). A panic in any of them answers the envelope's 500. database is the
// banner's "database" text, such as "postgresql (localhost)".
func Routes(mux chi.Router, root graph.ResolverRoot, log *slog.Logger, database string) {
	r := mux.With(recoverer(log))
	q, m := root.Query(), root.Mutation()
	login := handleLogin(m, log)

	resources := map[string]resource{
		"/": {http.MethodGet: exactly("/", handleRoot(database))},
		"/v1/users": {
			http.MethodGet:  handleUsersList(q, log),
			http.MethodPost: handleUserCreate(m, log),
			http.MethodPut:  handleAuthThenNotSupported(log),
		},
		"/v1/users/{id}": {http.MethodGet: handleUserGet(q, log)},
		// A literal segment wins over {id}, in chi as in Falcon. POST is ours:
		// legacy answered it 404 (README, deliberate differences).
		"/v1/users/self/login": {http.MethodGet: login, http.MethodPost: login},
	}
	for pattern, res := range resources {
		for method := range res {
			r.Method(method, pattern, res)
		}
		r.Method(http.MethodOptions, pattern, res)
	}
	r.Get("/openapi.json", handleOpenAPI())

	// chi calls MethodNotAllowed for a method it does not know before it
	// looks at the path, so both fallbacks first find the legacy resource.
	fallback := func(w http.ResponseWriter, req *http.Request) {
		if res, ok := resourceAt(mux, resources, routePath(req)); ok {
			res.ServeHTTP(w, req)
			return
		}
		writeNotSupported(w, req, http.StatusNotFound)
	}
	r.NotFound(fallback)
	r.MethodNotAllowed(fallback)
}

// handleRoot answers GET / with the legacy banner (no envelope, as legacy).
func handleRoot(database string) http.HandlerFunc {
	banner := map[string]string{"server": "Falcon REST API Template", "database": database}
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, banner)
	}
}

// resourceAt finds the legacy resource whose pattern matches path. Every
// legacy pattern has an OPTIONS route; a pattern Find returns that is not a
// legacy one (such as /graphql) is not in resources.
func resourceAt(mux chi.Routes, resources map[string]resource, path string) (resource, bool) {
	if path == usersEmptyIDPath {
		return resources["/v1/users/{id}"], true
	}
	res, ok := resources[mux.Find(chi.NewRouteContext(), http.MethodOptions, path)]
	return res, ok
}
