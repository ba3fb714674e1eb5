package legacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// Marshal encodes v as Python's json.dumps did with its defaults: Go's
// encoding/json decides what v is as JSON (struct fields in order, map keys
// sorted), and AppendJSON writes that in Python's form.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return AppendJSON(make([]byte, 0, buf.Len()+buf.Len()/8), buf.Bytes())
}

// errSyntax is AppendJSON's error for text that is not one JSON value.
var errSyntax = errors.New("legacy: not one JSON value")

// AppendJSON appends the JSON value text in the form Python's
// json.dumps(json.loads(text)) gives it with their defaults, without
// building the value: ", " and ": " between items, object members in the
// order of the text (a dict keeps it), strings in ASCII (AppendString),
// numbers as Python prints the int or float it reads (appendNumber).
// Strings are read as encoding/json reads them: invalid UTF-8 and unpaired
// surrogate escapes become U+FFFD. A key repeated in an object is written
// each time (json.loads would keep one); PostgreSQL's jsonb text, the text
// this is for, never repeats one. It fails, having appended part of it,
// when text is not exactly one JSON value (surrounding whitespace allowed).
func AppendJSON(b, text []byte) ([]byte, error) {
	r := reader{data: text}
	var stack [32]byte
	open := stack[:0] // the containers open at r.i: '{' or '['
	for {
		// A value starts at r.i.
		r.space()
		var ok bool
		switch c := r.peek(); {
		case c == '{' || c == '[':
			r.i++
			b = append(b, c)
			r.space()
			if r.peek() == closer(c) {
				r.i++
				b, ok = append(b, closer(c)), true
				break
			}
			open = append(open, c)
			if c == '{' {
				if b, ok = r.key(b); !ok {
					return b, errSyntax
				}
			}
			continue
		case c == '"':
			b, ok = r.str(b)
		case c == '-' || isDigit(c):
			b, ok = r.number(b)
		default:
			b, ok = r.literal(b)
		}
		if !ok {
			return b, errSyntax
		}
		// After a value: close containers, then a comma or the end.
		for {
			r.space()
			if len(open) == 0 {
				if r.i != len(r.data) {
					return b, errSyntax
				}
				return b, nil
			}
			top := open[len(open)-1]
			if r.peek() != closer(top) {
				break
			}
			r.i++
			b = append(b, closer(top))
			open = open[:len(open)-1]
		}
		if r.peek() != ',' {
			return b, errSyntax
		}
		r.i++
		b = append(b, ", "...)
		if open[len(open)-1] == '{' {
			if b, ok = r.key(b); !ok {
				return b, errSyntax
			}
		}
	}
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// reader reads JSON tokens from data at i.
type reader struct {
	data []byte
	i    int
}

// peek returns the byte at r.i, 0 at the end (never valid where it is read).
func (r *reader) peek() byte {
	if r.i < len(r.data) {
		return r.data[r.i]
	}
	return 0
}

func (r *reader) space() {
	for r.i < len(r.data) {
		switch r.data[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// key appends a member's name and ": ".
func (r *reader) key(b []byte) ([]byte, bool) {
	r.space()
	if r.peek() != '"' {
		return b, false
	}
	b, ok := r.str(b)
	if !ok {
		return b, false
	}
	r.space()
	if r.peek() != ':' {
		return b, false
	}
	r.i++
	return append(b, ": "...), true
}

// literal appends true, false or null.
func (r *reader) literal(b []byte) ([]byte, bool) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(r.data[r.i:], []byte(lit)) {
			r.i += len(lit)
			return append(b, lit...), true
		}
	}
	return b, false
}

// number appends the number at r.i as Python prints what json.loads makes
// of it.
func (r *reader) number(b []byte) ([]byte, bool) {
	start := r.i
	digits := func() bool {
		from := r.i
		for r.i < len(r.data) && isDigit(r.data[r.i]) {
			r.i++
		}
		return r.i > from
	}
	if r.peek() == '-' {
		r.i++
	}
	switch {
	case r.peek() == '0':
		r.i++
	case !digits():
		return b, false
	}
	float := false
	if r.peek() == '.' {
		r.i++
		if float = true; !digits() {
			return b, false
		}
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.i++
		if c := r.peek(); c == '+' || c == '-' {
			r.i++
		}
		if float = true; !digits() {
			return b, false
		}
	}
	return appendNumber(b, r.data[start:r.i], float), true
}

// str appends the string at r.i (its opening quote) in Python's form.
func (r *reader) str(b []byte) ([]byte, bool) {
	r.i++ // "
	b = append(b, '"')
	for {
		start := r.i
		for r.i < len(r.data) && plain(r.data[r.i]) {
			r.i++
		}
		b = append(b, r.data[start:r.i]...)
		if r.i >= len(r.data) {
			return b, false
		}
		switch c := r.data[r.i]; {
		case c == '"':
			r.i++
			return append(b, '"'), true
		case c == '\\':
			c, ok := r.escape()
			if !ok {
				return b, false
			}
			b = appendRune(b, c)
		case c < 0x20:
			return b, false // a control character must be escaped
		default: // 0x7f or beyond ASCII
			c, size := utf8.DecodeRune(r.data[r.i:])
			r.i += size
			b = appendRune(b, c)
		}
	}
}

// escape reads the escape sequence at r.i, as encoding/json does: a
// surrogate pair is one code point, an unpaired surrogate U+FFFD.
func (r *reader) escape() (rune, bool) {
	r.i++ // \
	if r.i >= len(r.data) {
		return 0, false
	}
	c := r.data[r.i]
	r.i++
	switch c {
	case '"', '\\', '/':
		return rune(c), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'u':
	default:
		return 0, false
	}
	c1, ok := r.hex4()
	if !ok {
		return 0, false
	}
	if !utf16.IsSurrogate(c1) {
		return c1, true
	}
	// A pair only when a \u low surrogate follows; anything else is read
	// on its own.
	if r.i+1 < len(r.data) && r.data[r.i] == '\\' && r.data[r.i+1] == 'u' {
		save := r.i
		r.i += 2
		if c2, ok := r.hex4(); ok {
			if c := utf16.DecodeRune(c1, c2); c != utf8.RuneError {
				return c, true
			}
		}
		r.i = save
	}
	return utf8.RuneError, true
}

// hex4 reads four hex digits.
func (r *reader) hex4() (rune, bool) {
	if len(r.data)-r.i < 4 {
		return 0, false
	}
	var c rune
	for _, h := range r.data[r.i : r.i+4] {
		switch {
		case isDigit(h):
			h -= '0'
		case 'a' <= h|0x20 && h|0x20 <= 'f':
			h = h | 0x20 - 'a' + 10
		default:
			return 0, false
		}
		c = c<<4 | rune(h)
	}
	r.i += 4
	return c, true
}
