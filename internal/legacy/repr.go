package legacy

import (
	"strconv"
	"strings"
	"unicode"
)

// Repr renders s as Python's repr() of a str did, for the parameter text of
// the legacy duplicate error (77): single quotes unless s holds a single
// quote and no double quote; backslash escapes for the quote, the
// backslash, \n, \r, \t and every other character Python does not print
// (control characters, separators but the space, format characters:
// \xXX, \uXXXX or \UXXXXXXXX). Other characters, non-ASCII included, are
// kept as they are.
func Repr(s string) string {
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
		case c <= 0xff && !unicode.IsPrint(c):
			b.WriteString(`\x` + strconv.FormatInt(int64(c)|0x100, 16)[1:])
		case c <= 0xffff && !unicode.IsPrint(c):
			b.WriteString(`\u` + strconv.FormatInt(int64(c)|0x10000, 16)[1:])
		case !unicode.IsPrint(c):
			b.WriteString(`\U` + strconv.FormatInt(int64(c)|0x100000000, 16)[1:])
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
