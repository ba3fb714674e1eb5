package legacy

import (
	"math"
	"strconv"
)

// appendNumber appends the JSON number text as Python prints what
// json.loads reads from it. Without a fraction or an exponent it is an int,
// printed in full (only "-0" changes, to "0"); otherwise a float, printed
// as repr does: the shortest digits that read back to the same float64, in
// positional form when the decimal point falls between 4 places left of
// the first digit and 16 places right of it (1e-05, 0.0001, 1.5,
// 1e+16), with ".0" on a whole number; Infinity or -Infinity beyond the
// float64 range, as json.dumps writes those.
func appendNumber(b, text []byte, float bool) []byte {
	if !float {
		if string(text) == "-0" {
			return append(b, '0')
		}
		return append(b, text...)
	}
	f, err := strconv.ParseFloat(string(text), 64)
	switch {
	case err != nil && math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case err != nil && math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0 && math.Signbit(f):
		return append(b, "-0.0"...)
	case f == 0:
		return append(b, "0.0"...)
	}
	// Go's shortest digits are Python's: "-d.dddde±XX".
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	if e[0] == '-' {
		b = append(b, '-')
		e = e[1:]
	}
	mark := 0
	for e[mark] != 'e' {
		mark++
	}
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	var dbuf [24]byte
	digits := append(dbuf[:0], e[0]) // the digits without the point
	if mark > 1 {
		digits = append(digits, e[2:mark]...)
	}
	point := exp + 1 // digits before the decimal point
	switch {
	case point > 16 || point <= -4:
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b, exp = append(b, '-'), -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	case point <= 0:
		b = append(b, "0."...)
		for range -point {
			b = append(b, '0')
		}
		return append(b, digits...)
	case point >= len(digits):
		b = append(b, digits...)
		for range point - len(digits) {
			b = append(b, '0')
		}
		return append(b, ".0"...)
	}
	b = append(b, digits[:point]...)
	b = append(b, '.')
	return append(b, digits[point:]...)
}
