package model

import (
	"io"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// MarshalTime writes the Time scalar as gqlgen's graphql.MarshalTime does
// (RFC 3339 with nanoseconds, zero as null) but appends it into one stack
// buffer instead of formatting, quoting and copying a string per value: a
// page of users has two per user (BENCHMARKS.md).
func MarshalTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [48]byte // "2006-01-02T15:04:05.999999999-07:00" and quotes
		b := append(buf[:0], '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalTime reads a Time input as gqlgen does.
func UnmarshalTime(v any) (time.Time, error) { return graphql.UnmarshalTime(v) }
