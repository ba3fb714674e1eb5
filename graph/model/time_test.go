package model

import (
	"bytes"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalTime: the same bytes as gqlgen's own marshaler, for times with
// and without fractions, in UTC and at an offset, and null for zero.
func TestMarshalTime(t *testing.T) {
	t.Parallel()
	tests := []time.Time{
		time.Date(2026, 12, 1, 22, 48, 3, 0, time.UTC),
		time.Date(2019, 1, 2, 3, 4, 5, 123456000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(9*3600+30*60))),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.FixedZone("", 14*3600)),
		{},
	}
	for _, tt := range tests {
		var got, want bytes.Buffer
		MarshalTime(tt).MarshalGQL(&got)
		graphql.MarshalTime(tt).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Errorf("MarshalTime(%v) = %s, want %s", tt, got.String(), want.String())
		}
	}
}
