package rest

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"users/graph"
	"users/graph/model"
	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/validate"
)

// handleUserCreate signs a user up: POST /v1/users with a JSON object.
func handleUserCreate(m graph.MutationResolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if mediaType(r) != "application/json" {
			writeError(w, r, log, errNotJSON)
			return
		}
		doc, err := readJSONObject(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		// The document's shape (types, nulls, unknown and missing fields), as
		// GraphQL's type system checks it on its side; the resolver checks the
		// values for both.
		if problems := validate.NewUserDocument(doc); len(problems) > 0 {
			writeError(w, r, log, apperr.InvalidFields(problems))
			return
		}
		input := model.CreateUserInput{
			Username: doc["username"].(string),
			Email:    doc["email"].(string),
			Password: doc["password"].(string),
		}
		if info, ok := doc["info"].(map[string]any); ok {
			// The same JSON text GraphQL's Map input makes of an object.
			if input.Info, err = model.EncodeJSONObject(info); err != nil {
				writeError(w, r, log, apperr.Internalf(err, "create user"))
				return
			}
		}
		if _, err := m.CreateUser(r.Context(), input); err != nil {
			if e := apperr.As(err); e.Code == apperr.Duplicate {
				writeErrorWith(w, r, log, e, duplicateDescription(input))
				return
			}
			writeError(w, r, log, err)
			return
		}
		writeOK(w, appendNull)
	}
}

// handleUserGet answers GET /v1/users/{id}.
func handleUserGet(q graph.QueryResolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		u, err := q.User(r.Context(), legacyUserID(id))
		switch {
		case err != nil:
			writeError(w, r, log, err)
		case u == nil:
			writeError(w, r, log, apperr.New(apperr.UserNotExists, "user id: "+id))
		default:
			writeOK(w, func(b []byte) []byte { return appendUser(b, u, "") })
		}
	}
}

// handleUsersList answers GET /v1/users: every user, as legacy did, streamed
// page by page so memory stays flat at any table size. With ?limit=N (and
// optionally after=ID, a user id) it returns one page and a Link to the next.
func handleUsersList(q graph.QueryResolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		query := r.URL.Query()
		problems := validate.Problems{}
		var after *string
		if s := query.Get("after"); s != "" {
			id, err := strconv.ParseInt(s, 10, 32)
			if err != nil || id < 0 {
				problems.Add("after", "must be a user id")
			}
			c := model.UserCursor(int32(id))
			after = &c
		}
		limit := -1 // the whole list
		if s := query.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > model.MaxPageSize {
				problems.Add("limit", "must be from 1 to "+strconv.Itoa(model.MaxPageSize))
			}
			limit = n
		}
		if len(problems) > 0 {
			writeError(w, r, log, apperr.InvalidFields(problems))
			return
		}
		if limit < 0 {
			streamUsers(w, r, q, log, after)
			return
		}
		page, err := q.Users(r.Context(), &limit, after, nil, nil)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		if page.PageInfo.HasNextPage {
			last := strconv.Itoa(int(page.Nodes[len(page.Nodes)-1].UserID)) // the numeric id REST clients page with
			w.Header().Set("Link", "<"+r.URL.Path+"?limit="+strconv.Itoa(limit)+"&after="+last+`>; rel="next"`)
		}
		writeOK(w, func(b []byte) []byte {
			b = append(b, '[')
			for i, u := range page.Nodes {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = appendUser(b, u, "")
			}
			return append(b, ']')
		})
	}
}

// handleAuthThenNotSupported is legacy's PUT /v1/users: the auth hook ran
// before the (empty) handler, so it asks for a token first.
func handleAuthThenNotSupported(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := auth.PrincipalFrom(r.Context()); err != nil {
			writeError(w, r, log, err)
			return
		}
		writeNotSupported(w, r, http.StatusNotFound)
	}
}

// legacyUserID reads a path id as PostgreSQL's integer input did when the
// legacy app compared user_id with the text: surrounding whitespace and a
// sign are allowed, so " +01" is user 1. Anything else is returned as it is
// (no user has such an id; legacy crashed on it).
func legacyUserID(s string) string {
	n, err := strconv.ParseInt(strings.Trim(s, " \t\n\v\f\r"), 10, 32)
	if err != nil {
		return s
	}
	return strconv.FormatInt(n, 10)
}
