package rest

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"users/graph"
	"users/graph/model"
	"users/internal/apperr"
	"users/internal/auth"
	"users/internal/validate"
)

// user is a user as the legacy API shows it: no user_id, as the recorded legacy
// answers have none, and never a hash or a sid.
// legacy contract: do not rename the JSON keys.
type user struct {
	Username string         `json:"username"`
	Email    string         `json:"email"`
	Token    string         `json:"token,omitempty"` // login only: the caller's own token
	Created  int64          `json:"created"`
	Info     map[string]any `json:"info"` // null when none was given
	Modified int64          `json:"modified"`
}

func fromModel(u *model.User) user {
	return user{
		Username: u.Username,
		Email:    u.Email,
		Created:  u.Created.Unix(),
		Info:     u.Info,
		Modified: u.Modified.Unix(),
	}
}

// handleRoot answers GET / with the legacy banner (no envelope, as legacy).
func handleRoot(database string) http.HandlerFunc {
	banner := map[string]string{"server": "Falcon REST API Template", "database": database}
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, banner)
	}
}

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
		// The legacy document rules (types, nulls, unknown and missing fields)
		// need the raw document, which GraphQL's type system checks on its side.
		if problems := validate.NewUser(doc); len(problems) > 0 {
			writeError(w, r, log, apperr.InvalidFields(problems))
			return
		}
		input := model.CreateUserInput{
			Username: doc["username"].(string),
			Email:    doc["email"].(string),
			Password: doc["password"].(string),
		}
		if info, ok := doc["info"].(map[string]any); ok {
			input.Info = info
		}
		if _, err := m.CreateUser(r.Context(), input); err != nil {
			if e := apperr.As(err); e.Code == apperr.Duplicate {
				writeErrorWith(w, r, log, e, duplicateDescription(e, input))
				return
			}
			writeError(w, r, log, err)
			return
		}
		writeOK(w, nil)
	}
}

// duplicateDescription is legacy's 77 description: the database message as
// psycopg2 worded it, and the statement's parameters as Python printed them,
// minus the secrets legacy leaked there (password hash, token, sid).
func duplicateDescription(e *apperr.Error, in model.CreateUserInput) map[string]string {
	info := "null"
	if in.Info != nil {
		if b, err := marshalPython(in.Info); err == nil {
			info = string(b)
		}
	}
	return map[string]string{
		"details": "(psycopg2.errors.UniqueViolation) " + e.Detail + "\n",
		"params":  "{'username': " + pyRepr(in.Username) + ", 'email': " + pyRepr(in.Email) + ", 'info': " + pyRepr(info) + "}",
	}
}

// handleLogin logs in with email and password from a JSON body, a form body or
// the query string: GET or POST /v1/users/self/login.
func handleLogin(m graph.MutationResolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		doc, err := readCredentials(r)
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		if problems := validate.Login(doc); len(problems) > 0 {
			writeError(w, r, log, apperr.InvalidFields(problems))
			return
		}
		payload, err := m.Login(r.Context(), doc["email"].(string), doc["password"].(string))
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		u := fromModel(payload.User)
		u.Token = payload.Token
		writeOK(w, u)
	}
}

// handleUserGet answers GET /v1/users/{id}.
func handleUserGet(q graph.QueryResolver, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		u, err := q.User(r.Context(), id)
		switch {
		case err != nil:
			writeError(w, r, log, err)
		case u == nil:
			writeError(w, r, log, &apperr.Error{Code: apperr.UserNotExists, Message: "user not exists", Detail: "user id: " + id})
		default:
			writeOK(w, fromModel(u))
		}
	}
}

// listBatch is how many users the streamed list reads per query.
const listBatch = graph.MaxPageSize

// handleUsersList answers GET /v1/users: every user, as legacy did, streamed in
// keyset batches so memory stays flat at any table size. With ?limit=N (and
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
			c := graph.Cursor(int32(id))
			after = &c
		}
		limit := -1 // the whole list
		if s := query.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > graph.MaxPageSize {
				problems.Add("limit", "must be from 1 to "+strconv.Itoa(graph.MaxPageSize))
			}
			limit = n
		}
		if len(problems) > 0 {
			writeError(w, r, log, apperr.InvalidFields(problems))
			return
		}
		if limit > 0 {
			page, err := q.Users(r.Context(), &limit, after)
			if err != nil {
				writeError(w, r, log, err)
				return
			}
			if page.PageInfo.HasNextPage {
				last := page.Nodes[len(page.Nodes)-1].ID
				w.Header().Set("Link", "<"+r.URL.Path+"?limit="+strconv.Itoa(limit)+"&after="+last+`>; rel="next"`)
			}
			users := make([]user, len(page.Nodes))
			for i, u := range page.Nodes {
				users[i] = fromModel(u)
			}
			writeOK(w, users)
			return
		}
		streamUsers(w, r, q, log, after)
	}
}

// streamUsers writes the whole list batch by batch. The first batch is read
// before anything is written, so an early failure still gets a proper envelope;
// a failure after that aborts the connection, so a client never takes a
// truncated list for a complete one.
func streamUsers(w http.ResponseWriter, r *http.Request, q graph.QueryResolver, log *slog.Logger, after *string) {
	batch := listBatch
	page, err := q.Users(r.Context(), &batch, after)
	if err != nil {
		writeError(w, r, log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// The server's WriteTimeout suits one answer, not a million users: each
	// batch gets its own deadline instead (unsupported writers just ignore it).
	rc := http.NewResponseController(w)
	_, _ = w.Write([]byte(`{"meta": {"code": 200, "message": "OK"}, "data": [`))
	first := true
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		for _, u := range page.Nodes {
			if !first {
				_, _ = w.Write([]byte(", "))
			}
			first = false
			b, err := marshalPython(fromModel(u))
			if err != nil {
				panic(err) // our own type: a programming error
			}
			if _, err := w.Write(b); err != nil {
				return // the client went away
			}
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		page, err = q.Users(r.Context(), &batch, page.PageInfo.EndCursor)
		if err != nil {
			log.ErrorContext(r.Context(), "stream users", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	_, _ = w.Write([]byte("]}"))
}

// handleAuthThenNotSupported is legacy's PUT /v1/users: the auth hook ran
// before the (empty) handler, so it asks for a token first.
func handleAuthThenNotSupported(log *slog.Logger) http.HandlerFunc {
	ns := notSupported(log)
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := auth.UserFrom(r.Context()); err != nil {
			writeError(w, r, log, err)
			return
		}
		ns(w, r)
	}
}

// pyRepr renders s as Python's repr() of a str does, for the legacy params text.
func pyRepr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, c := range s {
		switch {
		case c == '\\' || c == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x` + strconv.FormatInt(int64(c)|0x100, 16)[1:])
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
