package legacy

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendString appends s as a JSON string the way Python's json.dumps wrote
// it with ensure_ascii: printable ASCII as it is, short escapes for " \ \b
// \f \n \r \t, and \uXXXX (lower-case hex; a surrogate pair beyond U+FFFF)
// for everything else, DEL included. Invalid UTF-8 becomes U+FFFD, as
// encoding/json writes it.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && plain(s[i]) {
			i++
		}
		b = append(b, s[start:i]...)
		if i == len(s) {
			break
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		b = appendRune(b, c)
		i += size
	}
	return append(b, '"')
}

// plain reports whether Python writes the byte c of a string as it is.
func plain(c byte) bool { return c >= 0x20 && c <= '~' && c != '"' && c != '\\' }

// appendRune appends c, which plain does not cover, escaped as Python's
// ensure_ascii does.
func appendRune(b []byte, c rune) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', byte(c))
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	if c1, c2 := utf16.EncodeRune(c); c1 != utf8.RuneError {
		return appendU(appendU(b, c1), c2)
	}
	if c < 0x20 || c >= 0x7f {
		return appendU(b, c)
	}
	return append(b, byte(c))
}

func appendU(b []byte, c rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[c>>12&0xf], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
}
