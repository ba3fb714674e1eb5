// Package apperr defines the one error type that crosses package boundaries.
// Resolvers, auth and the database mapping make them; graph/errors.go maps them
// to GraphQL extensions and rest/errors.go to the legacy envelope, once each.
// It knows no transport: statuses and legacy codes belong to those mappings.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code says what went wrong, in a way clients can act on. The values are the
// GraphQL extensions.code strings; do not rename them.
type Code string

// The codes.
const (
	Invalid          Code = "INVALID_PARAMETER"
	UserNotExists    Code = "USER_NOT_EXISTS"
	PasswordNotMatch Code = "PASSWORD_NOT_MATCH"
	Duplicate        Code = "DUPLICATE"
	Unauthenticated  Code = "UNAUTHENTICATED"
	NotSupported     Code = "NOT_SUPPORTED"
	RateLimited      Code = "RATE_LIMITED"
	TooLarge         Code = "REQUEST_TOO_LARGE"
	// ResponseTooLarge: the answer would exceed the server's response limit
	// (GraphQL only; the REST list streams, so it has none).
	ResponseTooLarge Code = "RESPONSE_TOO_LARGE"
	Internal         Code = "INTERNAL"
)

// messages are the public message of each code, which New gives an error.
var messages = map[Code]string{
	Invalid:          "invalid parameter",
	UserNotExists:    "user not exists",
	PasswordNotMatch: "password not match",
	Duplicate:        "email already registered", // the only unique value of a user
	Unauthenticated:  "authentication required",
	NotSupported:     "not supported",
	RateLimited:      "too many requests",
	TooLarge:         "request body too large",
	ResponseTooLarge: "response too large",
	Internal:         "internal error",
}

// Error is safe to show: Code, Message, Detail and Fields go to clients; Err,
// the cause, goes only to logs.
type Error struct {
	Code    Code
	Message string              // short, human, for every client: the code's message
	Detail  string              // what exactly, e.g. "user id: 7"
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

// New returns an error with code's message and a detail ("" for none).
func New(code Code, detail string) *Error {
	return &Error{Code: code, Message: messages[code], Detail: detail}
}

// Internalf wraps an unexpected failure. Clients see only "internal error";
// the cause is logged once where the error becomes a response.
func Internalf(err error, format string, args ...any) *Error {
	return &Error{Code: Internal, Message: messages[Internal], Err: fmt.Errorf(format+": %w", append(args, err)...)}
}

// InvalidFields returns the validation error for per-field problems.
func InvalidFields(fields map[string][]string) *Error {
	return &Error{Code: Invalid, Message: messages[Invalid], Fields: fields}
}

// As returns the *Error in err's chain; any other error becomes Internal, so
// callers never show an unexpected error's text.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: messages[Internal], Err: err}
}

// CodeOf returns err's code, Internal for an error that is not an *Error.
func CodeOf(err error) Code { return As(err).Code }
