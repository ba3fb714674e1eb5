package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

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
			input.Info = info
		}
		if _, err := m.CreateUser(r.Context(), input); err != nil {
			if e := apperr.As(err); e.Code == apperr.Duplicate {
				writeErrorWith(w, r, log, e, duplicateDescription(input))
				return
			}
			writeError(w, r, log, err)
			return
		}
		writeOK(w, nil)
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
		if problems := validate.LoginDocument(doc); len(problems) > 0 {
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
		u, err := q.User(r.Context(), legacyUserID(id))
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

// listBatch is how many users the streamed list reads per query, when the
// resolver offers UserRows (graph's does); else a GraphQL page.
const listBatch = graph.MaxBatchSize

// userRowLister is the batch query of graph's query resolver for this list.
type userRowLister interface {
	UserRows(ctx context.Context, first int, after *string) ([]graph.UserRow, *string, error)
}

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
	next := listBatches(r.Context(), q)
	// One buffer and one Write per batch, encoded by hand (appendRow), not by
	// encoding/json and a second pass: see BENCHMARKS.md.
	pb := listBuffers.Get().(*[]byte)
	defer func() {
		if cap(*pb) <= maxPooledBuffer {
			listBuffers.Put(pb)
		}
	}()
	buf := append((*pb)[:0], `{"meta": {"code": 200, "message": "OK"}, "data": [`...)
	defer func() { *pb = buf }() // keep the grown buffer for the next list
	buf, after, err := next(buf, after)
	if err != nil {
		writeError(w, r, log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// The server's WriteTimeout suits one answer, not a million users: each
	// batch gets its own deadline instead (unsupported writers just ignore it).
	rc := http.NewResponseController(w)
	for after != nil {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(buf); err != nil {
			return // the client went away
		}
		if buf, after, err = next(buf[:0], after); err != nil {
			log.ErrorContext(r.Context(), "stream users", "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	_, _ = w.Write(append(buf, "]}"...))
}

// listBuffers recycles the list's batch buffers (a 1,000-user batch is about
// 150 KB): allocating and zeroing one per request showed in the W1 profile.
var listBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledBuffer keeps an unusually large buffer (huge info objects) from
// staying in the pool.
const maxPooledBuffer = 1 << 20

// listBatches returns a function that appends the users after a cursor, one
// batch of them (separated by ", " from the users of earlier batches), and
// returns the cursor after the batch, nil when the list is complete.
func listBatches(ctx context.Context, q graph.QueryResolver) func(b []byte, after *string) ([]byte, *string, error) {
	written := false
	sep := func(b []byte) []byte {
		if written {
			b = append(b, ", "...)
		}
		written = true
		return b
	}
	if l, ok := q.(userRowLister); ok {
		return func(b []byte, after *string) ([]byte, *string, error) {
			rows, next, err := l.UserRows(ctx, listBatch, after)
			if err != nil {
				return b, nil, err
			}
			for _, row := range rows {
				b = appendRow(sep(b), row)
			}
			return b, next, nil
		}
	}
	return func(b []byte, after *string) ([]byte, *string, error) {
		n := graph.MaxPageSize
		page, err := q.Users(ctx, &n, after)
		if err != nil {
			return b, nil, err
		}
		for _, u := range page.Nodes {
			b = appendUser(sep(b), u)
		}
		if !page.PageInfo.HasNextPage {
			return b, nil, nil
		}
		return b, page.PageInfo.EndCursor, nil
	}
}

// appendRow appends a listed row as appendUser appends the user graph makes
// of it (rest/users_encode_test.go checks that), without building the user:
// the info column is reformatted from its JSON text when it is the plain JSON
// PostgreSQL writes (appendPyInfo).
func appendRow(b []byte, u graph.UserRow) []byte {
	b = append(b, `{"username": `...)
	b = appendPyString(b, u.Username)
	b = append(b, `, "email": `...)
	b = appendPyString(b, u.Email)
	b = append(b, `, "created": `...)
	b = strconv.AppendInt(b, unixOrEpoch(u.Created), 10)
	b = append(b, `, "info": `...)
	b = appendPyInfo(b, u.Info)
	b = append(b, `, "modified": `...)
	b = strconv.AppendInt(b, unixOrEpoch(u.Modified), 10)
	return append(b, '}')
}

// unixOrEpoch is a nullable legacy timestamp in Unix seconds, 0 when missing
// (graph reads a missing one as the epoch).
func unixOrEpoch(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

// appendPyInfo appends a user's info from the raw jsonb column: exactly
// appendPyValue(graph.DecodeInfo(raw)), "null" for no info. When the column
// is plain JSON (strings without escapes, valid UTF-8, no duplicate keys,
// nesting up to 32 levels: what PostgreSQL writes for ordinary data) it is
// reformatted directly, keys sorted, without building a map; anything else
// takes the decoding path.
func appendPyInfo(b []byte, raw []byte) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return append(b, "null"...)
	}
	p := rawJSON{data: raw}
	p.space()
	if p.i < len(raw) && raw[p.i] == '{' {
		if out, ok := p.value(b, 0); ok {
			if p.space(); p.i == len(raw) {
				return out
			}
		}
	}
	if m := graph.DecodeInfo(raw); m != nil {
		return appendPyValue(b, m)
	}
	return append(b, "null"...)
}

// rawJSON reformats plain JSON text as appendPyValue writes its decoded
// value. Every method reports ok false, having appended junk, when the text
// is not plain JSON; appendPyInfo then starts over from its own slice.
type rawJSON struct {
	data []byte
	i    int
}

const maxRawDepth = 32

func (p *rawJSON) space() {
	for p.i < len(p.data) && (p.data[p.i] == ' ' || p.data[p.i] == '\t' || p.data[p.i] == '\n' || p.data[p.i] == '\r') {
		p.i++
	}
}

// value appends the value at p.i and moves past it.
func (p *rawJSON) value(b []byte, depth int) ([]byte, bool) {
	if p.i >= len(p.data) || depth > maxRawDepth {
		return b, false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(b, depth+1)
	case c == '[':
		return p.array(b, depth+1)
	case c == '"':
		s, ok := p.str()
		return appendPyString(b, s), ok
	}
	tok, ok := p.scalar()
	return append(b, tok...), ok
}

// scalar reads a number (kept as written, as json.Number), true, false or
// null, and moves past it.
func (p *rawJSON) scalar() ([]byte, bool) {
	start := p.i
	if c := p.data[p.i]; c == '-' || (c >= '0' && c <= '9') {
		for p.i < len(p.data) && strings.IndexByte("+-.eE0123456789", p.data[p.i]) >= 0 {
			p.i++
		}
		return p.data[start:p.i], isNumber(string(p.data[start:p.i]))
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(p.data[p.i:], []byte(lit)) {
			p.i += len(lit)
			return p.data[start:p.i], true
		}
	}
	return nil, false
}

// str reads a string without escapes, of valid UTF-8, and moves past it.
func (p *rawJSON) str() ([]byte, bool) {
	p.i++ // "
	start := p.i
	for p.i < len(p.data) {
		switch c := p.data[p.i]; {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// skip moves past the value at p.i, checking it as value would, without
// writing it.
func (p *rawJSON) skip(depth int) bool {
	if p.i >= len(p.data) || depth > maxRawDepth {
		return false
	}
	open, close := p.data[p.i], byte('}')
	switch open {
	case '"':
		_, ok := p.str()
		return ok
	case '{':
	case '[':
		close = ']'
	default:
		_, ok := p.scalar()
		return ok
	}
	p.i++
	p.space()
	if p.i < len(p.data) && p.data[p.i] == close {
		p.i++
		return true
	}
	for {
		p.space()
		if open == '{' {
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return false
			}
			if _, ok := p.str(); !ok {
				return false
			}
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return false
			}
			p.i++
			p.space()
		}
		if !p.skip(depth + 1) {
			return false
		}
		p.space()
		if p.i >= len(p.data) {
			return false
		}
		if p.data[p.i] == close {
			p.i++
			return true
		}
		if p.data[p.i] != ',' {
			return false
		}
		p.i++
	}
}

type rawMember struct {
	key        []byte
	start, end int // the value's text
}

func (p *rawJSON) object(b []byte, depth int) ([]byte, bool) {
	p.i++ // {
	var stack [16]rawMember
	members := stack[:0]
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return append(b, "{}"...), true
	}
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return b, false
		}
		k, ok := p.str()
		if !ok {
			return b, false
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return b, false
		}
		p.i++
		p.space()
		start := p.i
		if !p.skip(depth) {
			return b, false
		}
		members = append(members, rawMember{key: k, start: start, end: p.i})
		p.space()
		if p.i >= len(p.data) {
			return b, false
		}
		if p.data[p.i] == '}' {
			p.i++
			break
		}
		if p.data[p.i] != ',' {
			return b, false
		}
		p.i++
	}
	// encoding/json writes map keys in byte order; keys without escapes
	// compare the same as their decoded strings.
	slices.SortFunc(members, func(x, y rawMember) int { return bytes.Compare(x.key, y.key) })
	b = append(b, '{')
	for i, m := range members {
		if i > 0 {
			if bytes.Equal(m.key, members[i-1].key) {
				return b, false // a duplicate: decoding keeps only the last
			}
			b = append(b, ", "...)
		}
		b = appendPyString(b, m.key)
		b = append(b, ": "...)
		// Write the value from its text (p itself, to stay off the heap).
		data, at := p.data, p.i
		p.data, p.i = data[:m.end], m.start
		var ok bool
		b, ok = p.value(b, depth)
		p.data, p.i = data, at
		if !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

func (p *rawJSON) array(b []byte, depth int) ([]byte, bool) {
	p.i++ // [
	b = append(b, '[')
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return append(b, ']'), true
	}
	for n := 0; ; n++ {
		if n > 0 {
			b = append(b, ", "...)
		}
		p.space()
		var ok bool
		if b, ok = p.value(b, depth); !ok {
			return b, false
		}
		p.space()
		if p.i >= len(p.data) {
			return b, false
		}
		if p.data[p.i] == ']' {
			p.i++
			return append(b, ']'), true
		}
		if p.data[p.i] != ',' {
			return b, false
		}
		p.i++
	}
}

// appendUser appends u as the legacy list shows it, byte for byte what
// marshalPython(fromModel(u)) gives (rest/users_test.go checks that):
// encoding/json's output of the user type (fields in order, map keys sorted,
// no HTML escaping) reformatted as Python's json.dumps would (", " and ": ",
// non-ASCII as \uXXXX). It is the hot path of GET /v1/users: the generic
// encoder spent about half of the list's server time in reflection and in
// rescanning its own output.
func appendUser(b []byte, u *model.User) []byte {
	b = append(b, `{"username": `...)
	b = appendPyString(b, u.Username)
	b = append(b, `, "email": `...)
	b = appendPyString(b, u.Email)
	b = append(b, `, "created": `...)
	b = strconv.AppendInt(b, u.Created.Unix(), 10)
	b = append(b, `, "info": `...)
	if u.Info == nil {
		b = append(b, "null"...)
	} else {
		b = appendPyValue(b, u.Info)
	}
	b = append(b, `, "modified": `...)
	b = strconv.AppendInt(b, u.Modified.Unix(), 10)
	return append(b, '}')
}

// appendPyValue appends a decoded JSON value (what graph's decodeInfo makes:
// maps, slices, strings, json.Number, bools, nil). Anything else goes through
// marshalPython, so the output never differs from it.
func appendPyValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendPyString(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case json.Number:
		if isNumber(string(v)) {
			return append(b, v...)
		}
	case map[string]any:
		if v == nil {
			return append(b, "null"...)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys) // as encoding/json orders map keys
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyString(b, k)
			b = append(b, ": "...)
			b = appendPyValue(b, v[k])
		}
		return append(b, '}')
	case []any:
		if v == nil {
			return append(b, "null"...)
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyValue(b, e)
		}
		return append(b, ']')
	}
	out, err := marshalPython(v)
	if err != nil {
		panic(err) // as streamUsers always did: our own data, a programming error
	}
	return append(b, out...)
}

// isNumber reports whether s is a JSON number and nothing else (the check
// encoding/json makes before it writes a json.Number).
func isNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// appendPyString appends s quoted as encoding/json (without HTML escaping)
// then Python's ensure_ascii would: short escapes for " \ \b \f \n \r \t,
// \u00XX for other control characters, \uXXXX (UTF-16, lower-case hex) for
// everything beyond ASCII, \ufffd for invalid UTF-8.
func appendPyString[T string | []byte](b []byte, s T) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		// invalid UTF-8: U+FFFD, as encoding/json (the conversion of at
		// most 4 bytes stays on the stack)
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError || r2 != utf8.RuneError {
			b = appendU(b, r1)
			b = appendU(b, r2)
		} else {
			b = appendU(b, r)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendU(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// handleAuthThenNotSupported is legacy's PUT /v1/users: the auth hook ran
// before the (empty) handler, so it asks for a token first.
func handleAuthThenNotSupported(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := auth.UserFrom(r.Context()); err != nil {
			writeError(w, r, log, err)
			return
		}
		writeNotSupported(w, r, http.StatusNotFound)
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
