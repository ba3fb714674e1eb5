package model

import (
	"math"
	"testing"
)

func TestUserGlobalID(t *testing.T) {
	tests := []struct {
		userID int32
		want   string
	}{
		{7, "VXNlcjo3"}, // base64url("User:7")
		{1, "VXNlcjox"},
		{math.MaxInt32, "VXNlcjoyMTQ3NDgzNjQ3"},
	}
	for _, tt := range tests {
		if got := UserGlobalID(tt.userID); got != tt.want {
			t.Errorf("UserGlobalID(%d) = %q, want %q", tt.userID, got, tt.want)
		}
		if id, ok := ParseUserGlobalID(tt.want); !ok || id != tt.userID {
			t.Errorf("ParseUserGlobalID(%q) = %d, %v", tt.want, id, ok)
		}
	}
}

func TestParseUserRef(t *testing.T) {
	tests := []struct {
		in     string
		want   int32
		wantOK bool
	}{
		{"7", 7, true},           // the legacy numeric id
		{"VXNlcjo3", 7, true},    // the global ID
		{"VXNlcjo3=", 0, false},  // padded
		{"VXNlcjowNw", 0, false}, // "User:07": not canonical
		{"UG9zdDo3", 0, false},   // "Post:7"
		{"dXNlcjo3", 0, false},   // "user:7", a cursor
		{"VXNlcjo", 0, false},    // "User:"
		{"+7", 0, false},         // ParseUserID's canonical rule
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseUserRef(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseUserRef(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzParseGlobalID: any text parses or not without panicking, and every
// ID that parses as a user's is the one UserGlobalID makes.
func FuzzParseGlobalID(f *testing.F) {
	for _, s := range []string{"VXNlcjo3", "7", "", "VXNlcjo", "%%%", "VXNlcjotMQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseGlobalID(s)
		if id, ok := ParseUserGlobalID(s); ok && UserGlobalID(id) != s {
			t.Errorf("ParseUserGlobalID(%q) = %d, which UserGlobalID writes %q", s, id, UserGlobalID(id))
		}
		if id, ok := ParseUserRef(s); ok && id < 0 {
			t.Errorf("ParseUserRef(%q) = %d", s, id)
		}
	})
}
