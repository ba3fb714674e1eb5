// Package legacy is the wire format of the legacy Python service, for the
// parts both transports need: JSON as Python's json.dumps wrote it, Python's
// repr of a str (the 77 error's params text), and the legacy meta code of
// each domain error (REST's meta.code, GraphQL's extensions.legacyCode).
// It knows nothing of HTTP: rest/ writes the envelope with it.
package legacy

import "users/internal/apperr"

// metaCodes are the legacy service's meta codes. legacy contract: do not
// change them.
var metaCodes = map[apperr.Code]int{
	apperr.Invalid:          88,
	apperr.UserNotExists:    21,
	apperr.PasswordNotMatch: 22,
	apperr.Duplicate:        77,
	apperr.Unauthenticated:  99,
	apperr.NotSupported:     10,
	apperr.RateLimited:      429,
	apperr.TooLarge:         413,
	apperr.ResponseTooLarge: 413,
	apperr.Internal:         500,
}

// MetaCode returns the legacy meta code for c, 500 (Unknown Error) for a
// code the legacy service had none for.
func MetaCode(c apperr.Code) int {
	if n, ok := metaCodes[c]; ok {
		return n
	}
	return 500
}
