// Package rest is the compatibility layer for the legacy Falcon service's
// /v1/users API: its routes, input decoding, "meta" envelope, status codes and
// texts. Every operation calls the GraphQL resolvers, so no rule lives here.
package rest

import (
	"log/slog"

	"github.com/go-chi/chi/v5"

	"users/graph"
)

// Routes registers every legacy route on r, and makes the envelope's "Not
// Supported" (code 10) the answer to any unknown path or method, as legacy
// clients expect instead of a plain-text 404/405. database is the banner's
// "database" text, such as "postgresql (localhost)".
func Routes(r chi.Router, root graph.ResolverRoot, log *slog.Logger, database string) {
	q, m := root.Query(), root.Mutation()
	login := handleLogin(m, log)

	r.Get("/", handleRoot(database))
	r.Get("/v1/users", handleUsersList(q, log))
	r.Post("/v1/users", handleUserCreate(m, log))
	r.Put("/v1/users", handleAuthThenNotSupported(log))
	r.Get("/v1/users/self/login", login)
	r.Post("/v1/users/self/login", login)
	r.Get("/v1/users/{id}", handleUserGet(q, log))
	r.Get("/openapi.json", handleOpenAPI())

	r.NotFound(notSupported(log))
	r.MethodNotAllowed(notSupported(log))
}
