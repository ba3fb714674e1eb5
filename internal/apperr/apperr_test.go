package apperr

import (
	"errors"
	"fmt"
	"testing"
)

// TestMessages: every code has its one public message, which New and the
// other constructors give.
func TestMessages(t *testing.T) {
	for _, c := range []Code{Invalid, UserNotExists, PasswordNotMatch, Duplicate, Unauthenticated, NotSupported, RateLimited, TooLarge, ResponseTooLarge, Internal} {
		e := New(c, "detail")
		if e.Message == "" || e.Message != messages[c] || e.Code != c || e.Detail != "detail" {
			t.Errorf("New(%s) = %+v", c, e)
		}
	}
	if e := InvalidFields(map[string][]string{"a": {"b"}}); e.Message != messages[Invalid] {
		t.Errorf("InvalidFields message %q", e.Message)
	}
	if e := Internalf(errors.New("cause"), "op %d", 1); e.Message != "internal error" || e.Err.Error() != "op 1: cause" {
		t.Errorf("Internalf = %+v", e)
	}
}

func TestAs(t *testing.T) {
	dup := New(Duplicate, "")
	if got := As(fmt.Errorf("wrapped: %w", dup)); got != dup {
		t.Errorf("As(wrapped) = %v, want the *Error itself", got)
	}
	plain := errors.New("connection refused")
	if got := As(plain); got.Code != Internal || got.Message != "internal error" || !errors.Is(got, plain) {
		t.Errorf("As(plain) = %+v, want Internal wrapping it", got)
	}
	if CodeOf(nil) != Internal || CodeOf(dup) != Duplicate {
		t.Error("CodeOf")
	}
}
