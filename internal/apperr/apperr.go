// Package apperr defines the one error type that crosses package boundaries.
// Resolvers, auth and the database mapping make them; graph/errors.go maps them
// to GraphQL extensions and rest/errors.go to the legacy envelope, once each.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code says what went wrong, in a way clients can act on. The values are the
// GraphQL extensions.code strings; do not rename them.
type Code string

// The codes. Each that REST can meet has a legacy meta code and HTTP status
// in rest/errors.go.
const (
	Invalid          Code = "INVALID_PARAMETER"  // legacy 88
	UserNotExists    Code = "USER_NOT_EXISTS"    // legacy 21
	PasswordNotMatch Code = "PASSWORD_NOT_MATCH" // legacy 22
	Duplicate        Code = "DUPLICATE"          // legacy 77
	Unauthenticated  Code = "UNAUTHENTICATED"    // legacy 99
	NotSupported     Code = "NOT_SUPPORTED"      // legacy 10
	RateLimited      Code = "RATE_LIMITED"       // 429
	TooLarge         Code = "REQUEST_TOO_LARGE"  // 413
	// ResponseTooLarge: the answer would exceed the server's response limit
	// (GraphQL only; the REST list streams, so it has none).
	ResponseTooLarge Code = "RESPONSE_TOO_LARGE" // 413
	Internal         Code = "INTERNAL"           // legacy 500
)

// Error is safe to show: Code, Message, Detail and Fields go to clients; Err,
// the cause, goes only to logs.
type Error struct {
	Code    Code
	Message string              // short, human, for every client
	Detail  string              // what exactly, e.g. "user id: 7" (legacy meta.description)
	Fields  map[string][]string // per-field problems when Code is Invalid
	// RetryAfter says when to try again, for RateLimited.
	RetryAfter time.Duration
	Err        error // the cause; never shown
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a public message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internalf wraps an unexpected failure. Clients see only "internal error";
// the cause is logged once where the error becomes a response.
func Internalf(err error, format string, args ...any) *Error {
	return &Error{Code: Internal, Message: "internal error", Err: fmt.Errorf(format+": %w", append(args, err)...)}
}

// InvalidFields returns the validation error for per-field problems.
func InvalidFields(fields map[string][]string) *Error {
	return &Error{Code: Invalid, Message: "invalid parameter", Fields: fields}
}

// As returns the *Error in err's chain; any other error becomes Internal, so
// callers never show an unexpected error's text.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// CodeOf returns err's code, Internal for an error that is not an *Error.
func CodeOf(err error) Code { return As(err).Code }

// legacyCodes are the legacy service's meta codes. GraphQL reports them as
// extensions.legacyCode and REST as meta.code.
var legacyCodes = map[Code]int{
	Invalid:          88,
	UserNotExists:    21,
	PasswordNotMatch: 22,
	Duplicate:        77,
	Unauthenticated:  99,
	NotSupported:     10,
	RateLimited:      429,
	TooLarge:         413,
	ResponseTooLarge: 413,
	Internal:         500,
}

// Legacy returns the legacy meta code for c (500 for an unknown code).
func (c Code) Legacy() int {
	if n, ok := legacyCodes[c]; ok {
		return n
	}
	return 500
}
