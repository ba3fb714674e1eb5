package graph

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"users/db"
	"users/graph/model"
)

// toUser maps a row to the public user: the hash, the sid and the stored legacy
// token are dropped here, so no resolver can return them.
func toUser(u db.User) *model.User {
	return &model.User{
		ID:       strconv.FormatInt(int64(u.UserID), 10),
		Username: u.Username,
		Email:    u.Email,
		Info:     decodeInfo(u.Info),
		Created:  timeOrEpoch(u.Created),
		Modified: timeOrEpoch(u.Modified),
	}
}

// publicUser is toUser for a row of the public columns (a page, or one user).
func publicUser(u db.ListUserPageRow) model.User {
	return model.User{
		ID:       strconv.FormatInt(int64(u.UserID), 10),
		Username: u.Username,
		Email:    u.Email,
		Info:     decodeInfo(u.Info),
		Created:  timeOrEpoch(u.Created),
		Modified: timeOrEpoch(u.Modified),
	}
}

// DecodeInfo is decodeInfo, for the REST layer, which writes a listed
// user's info from the raw column and must agree with it exactly.
func DecodeInfo(raw []byte) map[string]any { return decodeInfo(raw) }

// decodeInfo turns the jsonb column into a map. SQL NULL, the JSON null the legacy
// app stored for "no info", and anything that is not an object are all no info.
// Numbers stay json.Number, so large integers survive the round trip exactly.
//
// PostgreSQL writes jsonb as plain, valid JSON, which parseInfo reads without
// reflection (a sixth of the time encoding/json takes, measured by
// BenchmarkDecodeInfo); anything it is not sure about (escapes in strings,
// invalid UTF-8, trailing data, deep nesting) goes to encoding/json as
// before, so the result is always the same (FuzzDecodeInfo checks it).
func decodeInfo(raw []byte) map[string]any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if m, ok := parseInfo(raw); ok {
		return m
	}
	return decodeInfoStd(raw)
}

// decodeInfoStd is decodeInfo with encoding/json.
func decodeInfoStd(raw []byte) map[string]any {
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}

// encodeInfo is the jsonb value for a user's info: SQL NULL when there is none.
func encodeInfo(info map[string]any) ([]byte, error) {
	if info == nil {
		return nil, nil
	}
	return json.Marshal(info)
}

// timeOrEpoch reads a legacy timestamp column, which is nullable (SQLAlchemy set
// it client-side); a missing one reads as the Unix epoch.
func timeOrEpoch(t *time.Time) time.Time {
	if t == nil {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC()
}

// maxInfoDepth bounds parseInfo's recursion; deeper documents take the
// encoding/json path.
const maxInfoDepth = 32

// parseInfo reads a JSON object into what encoding/json with UseNumber makes
// of it: map[string]any, []any, string, json.Number, bool and nil. ok is
// false whenever it is not certain to agree with encoding/json.
func parseInfo(data []byte) (m map[string]any, ok bool) {
	p := infoParser{data: data}
	p.space()
	if p.i >= len(p.data) || p.data[p.i] != '{' {
		return nil, false
	}
	v, ok := p.object(0)
	if !ok {
		return nil, false
	}
	p.space()
	if p.i != len(p.data) {
		return nil, false
	}
	return v, true
}

type infoParser struct {
	data []byte
	i    int
}

func (p *infoParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *infoParser) value(depth int) (any, bool) {
	if p.i >= len(p.data) {
		return nil, false
	}
	switch c := p.data[p.i]; {
	case c == '{':
		m, ok := p.object(depth + 1)
		return m, ok
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		return p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, false
}

func (p *infoParser) literal(lit string) bool {
	if !bytes.HasPrefix(p.data[p.i:], []byte(lit)) {
		return false
	}
	p.i += len(lit)
	return true
}

// object reads {...} at p.i.
func (p *infoParser) object(depth int) (map[string]any, bool) {
	if depth > maxInfoDepth {
		return nil, false
	}
	p.i++ // {
	m := make(map[string]any)
	p.space()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return m, true
	}
	for {
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, false
		}
		k, ok := p.string()
		if !ok {
			return nil, false
		}
		p.space()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.space()
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		m[k.(string)] = v
		closed, ok := p.separator('}')
		if !ok {
			return nil, false
		}
		if closed {
			return m, true
		}
	}
}

// array reads [...] at p.i.
func (p *infoParser) array(depth int) (any, bool) {
	if depth > maxInfoDepth {
		return nil, false
	}
	p.i++ // [
	a := make([]any, 0)
	p.space()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return a, true
	}
	for {
		p.space()
		v, ok := p.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		closed, ok := p.separator(']')
		if !ok {
			return nil, false
		}
		if closed {
			return a, true
		}
	}
}

// separator reads what follows a member or element: a comma (closed false)
// or the closing bracket (closed true); anything else is not ok.
func (p *infoParser) separator(close byte) (closed, ok bool) {
	p.space()
	if p.i >= len(p.data) {
		return false, false
	}
	switch p.data[p.i] {
	case ',':
		p.i++
		return false, true
	case close:
		p.i++
		return true, true
	}
	return false, false
}

// string reads a string without escapes, of valid UTF-8, at p.i.
func (p *infoParser) string() (any, bool) {
	p.i++ // "
	start := p.i
	ascii := true
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		p.i++
	}
	return nil, false
}

// number reads a number at p.i, kept as its text (json.Number).
func (p *infoParser) number() (any, bool) {
	start := p.i
	digits := func() bool {
		from := p.i
		for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
			p.i++
		}
		return p.i > from
	}
	if p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
	case !digits():
		return nil, false
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if !digits() {
			return nil, false
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if !digits() {
			return nil, false
		}
	}
	return json.Number(p.data[start:p.i]), true
}
