package rest

import (
	"log/slog"
	"net/http"
	"net/url"
	"unicode/utf8"

	"users/graph"
	"users/internal/apperr"
	"users/internal/validate"
)

// handleLogin logs in with email and password from a JSON body, a form body or
// the query string: GET or POST /v1/users/self/login.
func handleLogin(m graph.MutationResolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		doc, err := readCredentials(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		// The shape only: two strings. The resolver's login rule decides
		// what an empty one means.
		if problems := validate.LoginDocument(doc); len(problems) > 0 {
			writeError(w, r, log, apperr.InvalidFields(problems))
			return
		}
		payload, err := m.Login(r.Context(), doc["email"].(string), doc["password"].(string))
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		writeOK(w, func(b []byte) []byte { return appendUser(b, payload.User, payload.Token) })
	}
}

// readCredentials collects login fields from a JSON body, else a form body, else
// the query string (the legacy README logs in with curl -d email=... -d password=...,
// which sends a form body even with GET).
func readCredentials(r *http.Request) (map[string]any, error) {
	if mediaType(r) == "application/json" {
		return readJSONObject(r)
	}
	var form url.Values
	if mediaType(r) == "application/x-www-form-urlencoded" {
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, errMalformed
		}
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errMalformed
	}
	doc := map[string]any{}
	for _, key := range []string{"email", "password"} {
		v, ok := form[key]
		if !ok {
			v, ok = query[key]
		}
		if !ok {
			continue
		}
		if !utf8.ValidString(v[0]) {
			return nil, errNotUTF8
		}
		doc[key] = v[0]
	}
	return doc, nil
}
