package rest

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// How the legacy service (gunicorn in front of Falcon 2/3) answered every
// path and method; docs/legacy-router.md has the evidence and
// rest/router_test.go the rules as cases.

// resource is a legacy Falcon resource: the responders it defines, by method.
// Every legacy resource inherited GET, POST, PUT and DELETE responders that
// answer "Not Supported", so the Allow headers below are the same for all.
type resource map[string]http.Handler

const (
	allowOptions     = "DELETE, GET, POST, PUT"          // Falcon's OPTIONS leaves itself out
	allowNotAllowed  = "DELETE, GET, POST, PUT, OPTIONS" // Falcon's 405 lists it
	usersEmptyIDPath = "/v1/users/"                      // Falcon's {user_id} matched an empty segment; chi's {id} does not
)

// falconMethods are the methods Falcon 3.1 knows (HTTP and WebDAV). On a
// known path, one the resource has no responder for answers 405; any other
// method answers 400 "Invalid HTTP method".
var falconMethods = map[string]bool{
	"CONNECT": true, "DELETE": true, "GET": true, "HEAD": true, "OPTIONS": true,
	"PATCH": true, "POST": true, "PUT": true, "TRACE": true,
	"CHECKIN": true, "CHECKOUT": true, "COPY": true, "LOCK": true, "MKCOL": true,
	"MOVE": true, "PROPFIND": true, "PROPPATCH": true, "REPORT": true,
	"UNCHECKIN": true, "UNLOCK": true, "UPDATE": true, "VERSION-CONTROL": true,
}

// ServeHTTP dispatches as Falcon did once a path matched: the responder,
// else the inherited "Not Supported", else the default OPTIONS responder,
// else 405 for a method Falcon knows and 400 for one it does not. Falcon's
// own 405 and 400 bodies become the envelope's code 10.
func (res resource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := res[r.Method]; ok {
		h.ServeHTTP(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
		writeNotSupported(w, r, http.StatusNotFound)
	case http.MethodOptions:
		w.Header().Set("Allow", allowOptions)
		w.WriteHeader(http.StatusOK)
	default:
		if !falconMethods[r.Method] {
			writeNotSupported(w, r, http.StatusBadRequest)
			return
		}
		w.Header().Set("Allow", allowNotAllowed)
		writeNotSupported(w, r, http.StatusMethodNotAllowed)
	}
}

// exactly serves h only when the path is p itself, else "Not Supported":
// legacy's GET responder for "/" checked req.path, and "//" reached it too.
func exactly(p string, h http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != p {
			writeNotSupported(w, r, http.StatusNotFound)
			return
		}
		h.ServeHTTP(w, r)
	}
}

// RoutePath makes the router see a request as the legacy service did:
// gunicorn upper-cased the method and percent-decoded the path (%2F
// included), and Falcon's router ignored leading slashes, so
// "get //v1/%75sers" was GET /v1/users. chi would route on the raw path.
// Trailing and inner empty segments stay significant, as in Falcon.
func RoutePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := strings.ToUpper(r.Method); m != r.Method {
			r = r.WithContext(r.Context()) // a copy: the caller's request stays as it is
			r.Method = m
		}
		if rctx := chi.RouteContext(r.Context()); rctx != nil && strings.HasPrefix(r.URL.Path, "/") {
			rctx.RoutePath = "/" + strings.TrimLeft(r.URL.Path, "/")
		}
		next.ServeHTTP(w, r)
	})
}

// routePath is the path the router matched r on.
func routePath(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil && rctx.RoutePath != "" {
		return rctx.RoutePath
	}
	return r.URL.Path
}
