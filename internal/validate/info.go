package validate

import (
	"strconv"
	"unicode/utf8"
)

// Bounds on a user's info object. They are checked on the JSON text that is
// stored, and counted as PostgreSQL writes that text back: jsonb keeps numbers
// as numeric and prints them in full, so the 8 bytes of 1e131071 come back
// as 131,072 digits in every answer that includes the user.
const (
	// DefaultInfoMaxBytes is the default INFO_MAX_BYTES: a profile of a few
	// dozen fields fits, and a page of 100 users carries at most 400 KiB of
	// info.
	DefaultInfoMaxBytes = 4096
	// MaxInfoDepth is how deeply objects and arrays may nest, the info object
	// being level 1. Real profiles nest two or three levels; 16 keeps every
	// recursive reader of the value (ours, gqlgen's, PostgreSQL's) shallow.
	MaxInfoDepth = 16
	// MaxInfoValues is how many object members and array items info may hold,
	// at every level together. Decoded, each costs a map entry or an
	// interface value, several times its text: 512 keeps one decoded info to
	// tens of KB, and no real profile needs more.
	MaxInfoValues = 512
)

// MsgInfoSize returns the message for info larger than n bytes as stored.
func MsgInfoSize(n int) string { return "max size is " + strconv.Itoa(n) + " bytes" }

// The messages of the other info bounds.
var (
	// MsgInfoDepth is reported for info nested deeper than MaxInfoDepth.
	MsgInfoDepth = "max depth is " + strconv.Itoa(MaxInfoDepth)
	// MsgInfoValues is reported for info with more than MaxInfoValues
	// members and items.
	MsgInfoValues = "max number of keys and items is " + strconv.Itoa(MaxInfoValues)
)

// MsgInfoNumber is reported for a number that no 64-bit float holds (such
// as 1e400, or an integer of 400 digits), or that a 64-bit float would round
// to zero (1e-400).
const MsgInfoNumber = "number out of the range of a 64-bit float"

// Info checks the JSON text of an info object, as it will be stored, against
// the bounds: at most maxBytes as PostgreSQL writes it back (InfoSize),
// nesting at most MaxInfoDepth levels, at most MaxInfoValues members and
// items, and every number within a 64-bit float's range. It returns the
// messages of the bounds text breaks, in that order, or nil; text that is
// not one JSON object gets MsgDict alone.
func Info(text []byte, maxBytes int) []string {
	st, ok := scanInfo(text)
	if !ok {
		return []string{MsgDict}
	}
	var msgs []string
	if st.size > maxBytes {
		msgs = append(msgs, MsgInfoSize(maxBytes))
	}
	if st.depth > MaxInfoDepth {
		msgs = append(msgs, MsgInfoDepth)
	}
	if st.values > MaxInfoValues {
		msgs = append(msgs, MsgInfoValues)
	}
	if st.badNumber {
		msgs = append(msgs, MsgInfoNumber)
	}
	return msgs
}

// InfoSize returns the size in bytes of the JSON object text as PostgreSQL
// writes it back from jsonb, or ok false if text is not one JSON object. The
// size is exact for text without escapes and duplicate keys, and an upper
// bound otherwise: separators count as ", " and ": ", whitespace not at all,
// and numbers in full (1e3 as 1000, 1.50 as 1.50, 5e-3 as 0.005), as
// PostgreSQL prints numeric; strings count as written, escapes included,
// which is never less than PostgreSQL's own escaping.
func InfoSize(text []byte) (size int, ok bool) {
	st, ok := scanInfo(text)
	return st.size, ok
}

// infoStats is what scanInfo learns of a JSON object text.
type infoStats struct {
	size      int  // bytes as PostgreSQL writes the text back (see InfoSize)
	depth     int  // deepest nesting, the outer object being 1
	values    int  // object members and array items, at every level
	badNumber bool // a number out of a float64's range
}

// scanInfo reads text, which must be exactly one JSON object (RFC 8259,
// valid UTF-8). It reads without recursion, so no nesting can exhaust the
// stack, and in one pass, so its time is linear in the text.
func scanInfo(text []byte) (infoStats, bool) {
	var st infoStats
	if !utf8.Valid(text) {
		return st, false
	}
	s := jsonScanner{data: text}
	s.space()
	if s.peek() != '{' {
		return st, false
	}
	var open []byte // the containers open at s.i: '{' or '['
	for {
		// A value starts at s.i.
		s.space()
		switch c := s.peek(); {
		case c == '{' || c == '[':
			s.i++
			st.size++
			open = append(open, c)
			st.depth = max(st.depth, len(open))
			s.space()
			if s.peek() == closer(c) {
				break // empty: read its closing bracket below
			}
			st.values++
			if c == '{' && !s.key(&st) {
				return st, false
			}
			continue
		case c == '"':
			n, ok := s.str()
			if !ok {
				return st, false
			}
			st.size += n
		case c == '-' || isDigit(c):
			n, fits, ok := s.number()
			if !ok {
				return st, false
			}
			st.size += n
			st.badNumber = st.badNumber || !fits
		default:
			n, ok := s.literal()
			if !ok {
				return st, false
			}
			st.size += n
		}
		// After a value: close containers, then a comma or the end.
		for {
			s.space()
			if len(open) == 0 {
				return st, s.i == len(s.data)
			}
			top := open[len(open)-1]
			if s.peek() != closer(top) {
				break
			}
			s.i++
			st.size++
			open = open[:len(open)-1]
		}
		if s.peek() != ',' {
			return st, false
		}
		s.i++
		st.size += 2 // PostgreSQL writes ", "
		st.values++
		if open[len(open)-1] == '{' && !s.key(&st) {
			return st, false
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

// jsonScanner reads JSON tokens from data at i.
type jsonScanner struct {
	data []byte
	i    int
}

// peek returns the byte at s.i, 0 at the end (never valid where it is read).
func (s *jsonScanner) peek() byte {
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *jsonScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// key reads a member's name and its colon, and counts them.
func (s *jsonScanner) key(st *infoStats) bool {
	s.space()
	if s.peek() != '"' {
		return false
	}
	n, ok := s.str()
	if !ok {
		return false
	}
	s.space()
	if s.peek() != ':' {
		return false
	}
	s.i++
	st.size += n + 2 // PostgreSQL writes ": "
	return true
}

// str reads a string and returns its length as written, quotes included.
func (s *jsonScanner) str() (n int, ok bool) {
	start := s.i
	s.i++ // "
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '"':
			s.i++
			return s.i - start, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			s.i++
			switch s.peek() {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for range 4 {
					if c := s.peek(); !isDigit(c) && !('a' <= c|0x20 && c|0x20 <= 'f') {
						return 0, false
					}
					s.i++
				}
			default:
				return 0, false
			}
		default:
			s.i++
		}
	}
	return 0, false
}

// literal reads true, false or null.
func (s *jsonScanner) literal() (n int, ok bool) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.data)-s.i >= len(lit) && string(s.data[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return len(lit), true
		}
	}
	return 0, false
}

// digits reads a run of digits and returns it.
func (s *jsonScanner) digits() []byte {
	start := s.i
	for s.i < len(s.data) && isDigit(s.data[s.i]) {
		s.i++
	}
	return s.data[start:s.i]
}

// number reads a number. n is its length as PostgreSQL prints it; fits
// reports whether a float64 holds it (in range, and not a non-zero number
// that rounds to zero).
func (s *jsonScanner) number() (n int, fits, ok bool) {
	start := s.i
	neg := s.peek() == '-'
	if neg {
		s.i++
	}
	var whole []byte
	if s.peek() == '0' {
		whole = s.data[s.i : s.i+1]
		s.i++
	} else if whole = s.digits(); len(whole) == 0 {
		return 0, false, false
	}
	var frac []byte
	if s.peek() == '.' {
		s.i++
		if frac = s.digits(); len(frac) == 0 {
			return 0, false, false
		}
	}
	exp := 0
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		sign := 1
		switch s.peek() {
		case '-':
			sign = -1
			s.i++
		case '+':
			s.i++
		}
		e := s.digits()
		if len(e) == 0 {
			return 0, false, false
		}
		exp = sign * saturatingAtoi(e)
	}
	f, err := strconv.ParseFloat(string(s.data[start:s.i]), 64)
	first := firstNonZero(whole, frac)
	fits = err == nil && (f != 0 || first < 0)
	return numericLen(neg, len(whole), len(frac), exp, first), fits, true
}

// maxExponent caps the exponents numericLen works with, far beyond the
// largest PostgreSQL accepts, so that sums of lengths cannot overflow.
const maxExponent = 1 << 30

func saturatingAtoi(digits []byte) int {
	n := 0
	for _, c := range digits {
		n = min(n*10+int(c-'0'), maxExponent)
	}
	return n
}

// firstNonZero returns the index of the first non-zero digit in whole
// followed by frac, -1 if there is none.
func firstNonZero(whole, frac []byte) int {
	for i, c := range whole {
		if c != '0' {
			return i
		}
	}
	for i, c := range frac {
		if c != '0' {
			return len(whole) + i
		}
	}
	return -1
}

// numericLen is the length of PostgreSQL's numeric output for the number
// whole.frac × 10^exp: the sign, the integer part from its first significant
// digit ("0" when there is none), and as many decimals as the text gave,
// less the exponent (the display scale), zeros included.
func numericLen(neg bool, whole, frac, exp, first int) int {
	n := 1 // "0"
	if point := whole + exp; first >= 0 && point > first {
		n = point - first
	}
	if neg {
		n++ // PostgreSQL drops the sign of zero: this counts it anyway
	}
	if scale := frac - exp; scale > 0 {
		n += 1 + scale
	}
	return n
}
