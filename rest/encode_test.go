package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"users/graph/model"
	"users/internal/legacy"
)

// marshalUser is appendUser's reference: the legacy user as a struct,
// encoded by encoding/json and put in Python's form by the codec.
func marshalUser(t testing.TB, u *model.User, token string) []byte {
	t.Helper()
	var info *json.RawMessage // nil: withheld, no key
	if !u.Withheld() {
		raw := json.RawMessage("null")
		if u.Info != nil {
			raw = json.RawMessage(u.Info)
		}
		info = &raw
	}
	out, err := legacy.Marshal(struct {
		Username string           `json:"username"`
		Email    *string          `json:"email,omitempty"`
		Token    string           `json:"token,omitempty"`
		Created  int64            `json:"created"`
		Info     *json.RawMessage `json:"info,omitempty"`
		Modified int64            `json:"modified"`
	}{u.Username, u.Email, token, u.Created.Unix(), info, u.Modified.Unix()})
	if err != nil {
		t.Fatalf("marshal %#v: %v", u, err)
	}
	return out
}

func checkUser(t testing.TB, u *model.User, token string) {
	t.Helper()
	if got, want := appendUser(nil, u, token), marshalUser(t, u, token); !bytes.Equal(got, want) {
		t.Fatalf("appendUser differs from encoding the legacy user for %#v\n got: %s\nwant: %s", u, got, want)
	}
}

var encodeStrings = []string{
	"", "alice", "alice@example.com", `quote " backslash \ slash /`, "<script>&amp;</script>", "é中😀",
	"\u2028\u2029", "\ufffd", "bad \xff utf8 \xc3", "a\x00b\x1fc\x7f", "tab\tnew\nline\rret\bback\fform",
}

// encodeInfos are info texts as PostgreSQL's jsonb writes them.
var encodeInfos = []string{
	``, `{}`, `{"n": 1, "phone": "123"}`, `{"a": [1, 2.50, -0.5, 100, 0], "b": {"z": null, "y": true, "x": false, "w": [], "v": {}}}`,
	`{"é": "中", "😀": ["\u2028", "😀"], "ctl": "\u0001\u001f", "q": "\"\\"}`, `{"big": 123456789012345678901234567890}`,
	`{"deep": [[[{"a": [{"b": "c"}]}]]]}`,
}

func TestAppendUser(t *testing.T) {
	created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range encodeStrings {
		for _, info := range encodeInfos {
			email := s + "@x"
			u := &model.User{UserID: 1, Username: s, Email: &email, Created: created, Modified: time.Unix(0, 0).UTC()}
			if info != "" {
				u.Info = model.JSONObject(info)
			}
			checkUser(t, u, "")
			checkUser(t, u, "gAAAAA"+s)
		}
		withheld := &model.User{UserID: 2, Username: s, Created: created, Modified: created}
		checkUser(t, withheld, "")
	}
	// The golden legacy list's user, byte for byte, and as another user
	// sees it under USER_DIRECTORY=private.
	email := "test2@gmail.com"
	u := &model.User{Username: "test2", Email: &email, Info: model.JSONObject(`{"n": 1, "phone": "123"}`), Created: time.Unix(1795633102, 0), Modified: time.Unix(1795633102, 0)}
	if got, want := string(appendUser(nil, u, "")), `{"username": "test2", "email": "test2@gmail.com", "created": 1795633102, "info": {"n": 1, "phone": "123"}, "modified": 1795633102}`; got != want {
		t.Errorf("appendUser:\n got %s\nwant %s", got, want)
	}
	private := &model.User{Username: "test2", Created: time.Unix(1795633102, 0), Modified: time.Unix(1795633102, 0)}
	if got, want := string(appendUser(nil, private, "")), `{"username": "test2", "created": 1795633102, "modified": 1795633102}`; got != want {
		t.Errorf("appendUser, withheld:\n got %s\nwant %s", got, want)
	}
	// Not JSON (PostgreSQL never writes that): the user without info.
	u.Info = model.JSONObject(`{"a": `)
	if got := string(appendUser(nil, u, "")); !strings.Contains(got, `"info": null`) {
		t.Errorf("appendUser with broken info: %s", got)
	}
}

func FuzzAppendUser(f *testing.F) {
	f.Add("alice", "alice@example.com", `{"team": "core", "n": [1, 2.5]}`, "", int64(1600000000))
	f.Add("é中😀\xff", "\u2028\"\\", `{"\u0001": {"b": null, "a": true}}`, "gAAAAAB", int64(-1))
	f.Fuzz(func(t *testing.T, username, email, info, token string, created int64) {
		if !json.Valid([]byte(info)) || !strings.HasPrefix(info, "{") {
			return // info is always an object's text
		}
		u := &model.User{
			Username: username, Email: &email, Info: model.JSONObject(info),
			Created: time.Unix(created, 0).UTC(), Modified: time.Unix(created/2, 0).UTC(),
		}
		checkUser(t, u, token)
		u.Email, u.Info = nil, nil // withheld
		checkUser(t, u, token)
	})
}

// BenchmarkListEncoding is a page of the streamed list: 100 users as the
// list writes them, against encoding/json's struct path.
func BenchmarkListEncoding(b *testing.B) {
	users := make([]*model.User, 100)
	for i := range users {
		email := fmt.Sprintf("user%d@bench.example", i+1)
		users[i] = &model.User{
			UserID: int32(i + 1), Username: fmt.Sprintf("user%d", i+1), Email: &email,
			Info:    model.JSONObject(fmt.Sprintf(`{"team": "t%d", "level": %d}`, i%7, i)),
			Created: time.Now(), Modified: time.Now(),
		}
	}
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, u := range users {
				marshalUser(b, u, "")
			}
		}
	})
	b.Run("appendUser", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 16<<10)
		for b.Loop() {
			buf = buf[:0]
			for _, u := range users {
				buf = appendUser(buf, u, "")
			}
		}
	})
}
