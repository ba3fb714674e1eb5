package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"users/graph"
	"users/graph/model"
)

// decodeInfoLikeGraph decodes an info object as graph's decodeInfo does
// (json.Number for numbers), so the tests feed appendUser what it gets.
func decodeInfoLikeGraph(t testing.TB, raw string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}

func checkSame(t testing.TB, u *model.User) {
	t.Helper()
	want, err := marshalPython(fromModel(u))
	if err != nil {
		t.Fatalf("marshalPython: %v", err)
	}
	got := appendUser(nil, u)
	if !bytes.Equal(got, want) {
		t.Fatalf("appendUser differs from marshalPython(fromModel(u)) for %#v\n got: %s\nwant: %s", u, got, want)
	}
}

func TestAppendUserMatchesMarshalPython(t *testing.T) {
	var ascii strings.Builder
	for c := range 128 {
		ascii.WriteByte(byte(c))
	}
	strs := []string{
		"", "alice", "alice@example.com", ascii.String(), `quote " backslash \ slash /`,
		"<script>&amp;</script>", "é中😀", "\u2028\u2029", "\ufffd", "bad \xff utf8 \xc3", "a\x00b\x1fc\x7f",
		"tab\tnew\nline\rret\bback\fform", strings.Repeat("x", 300),
	}
	infos := []string{
		``, `null`, `{}`, `{"team": "core"}`, `{"b": 1, "a": 2, "aa": [1, 2.5, -0.5e10, 1E+2, 0]}`,
		`{"nested": {"z": null, "y": true, "x": false, "w": [], "v": {}}}`,
		`{"é": "中", "😀": ["\u2028", "\ud83d\ude00"], "ctl": "\u0001\u001f"}`,
		`{"deep": [[[{"a": [{"b": "c"}]}]]]}`, `{"big": 123456789012345678901234567890}`,
	}
	created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range strs {
		for _, info := range infos {
			checkSame(t, &model.User{
				ID: "1", Username: s, Email: s + "@x", Info: decodeInfoLikeGraph(t, info),
				Created: created, Modified: time.Unix(0, 0).UTC(),
			})
		}
		checkSame(t, &model.User{Username: "u", Email: "e", Info: map[string]any{s: s}, Created: created, Modified: created})
	}
	// Values decodeInfo never makes still come out as marshalPython writes them.
	checkSame(t, &model.User{Username: "u", Email: "e", Created: created, Modified: created, Info: map[string]any{
		"float": 1.5, "int": 7, "strs": []string{"a", "é"}, "map": map[string]string{"k": "v"},
		"emptynum": json.Number(""), "nilmap": map[string]any(nil), "nilslice": []any(nil), "time": created,
	}})
}

func TestIsNumber(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "-12", "1.5", "0.001", "1e5", "1E+5", "-2.5e-3", "123456789012345678901234567890"} {
		if !isNumber(s) {
			t.Errorf("isNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "1e+", "+1", " 1", "1 ", "0x1", "NaN", "1.5.5", `"1"`} {
		if isNumber(s) {
			t.Errorf("isNumber(%q) = true", s)
		}
	}
}

func FuzzAppendUser(f *testing.F) {
	f.Add("alice", "alice@example.com", `{"team": "core", "n": [1, 2.5]}`, int64(1600000000))
	f.Add("é中😀\xff", "\u2028\"\\", `{"\u0001": {"b": null, "a": true}}`, int64(-1))
	f.Fuzz(func(t *testing.T, username, email, info string, created int64) {
		u := &model.User{
			Username: username, Email: email, Info: decodeInfoLikeGraph(t, info),
			Created: time.Unix(created, 0).UTC(), Modified: time.Unix(created/2, 0).UTC(),
		}
		checkSame(t, u)
	})
}

func benchUsers() []*model.User {
	users := make([]*model.User, 20)
	for i := range users {
		users[i] = &model.User{
			ID: fmt.Sprint(i + 1), Username: fmt.Sprintf("user%d", i+1), Email: fmt.Sprintf("user%d@bench.example", i+1),
			Info:    map[string]any{"team": fmt.Sprintf("t%d", i%7), "level": json.Number(fmt.Sprint(i))},
			Created: time.Now(), Modified: time.Now(),
		}
	}
	return users
}

// BenchmarkListEncoding compares the list's per-user encoding before (the
// generic marshalPython) and after (appendUser) for a 20-user page.
func BenchmarkListEncoding(b *testing.B) {
	users := benchUsers()
	b.Run("marshalPython", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, u := range users {
				if _, err := marshalPython(fromModel(u)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("appendUser", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 8<<10)
		for b.Loop() {
			buf = buf[:0]
			for _, u := range users {
				buf = appendUser(buf, u)
			}
		}
	})
}

// rawInfos are info columns as PostgreSQL writes jsonb, and some it never
// would (escapes, bad UTF-8, duplicates, trailing text, other top levels),
// which must come out as the decoding path writes them.
var rawInfos = []string{
	``, `null`, `{}`, `[]`, `"x"`, `1`, `true`, `{"team": "t3", "level": 3}`,
	`{"b": 1, "a": 2, "aa": [1, 2.5, -0.5e10, 1E+2, 0, -0], "c": {"z": null, "y": true, "x": false, "w": [], "v": {}}}`,
	`{"é": "中😀", "ctl": "\u0001", "q": "\"", "nl": "a\nb"}`, `{"dup": 1, "dup": 2}`, `{"a": {"dup": 1, "dup": 2}}`,
	`{"big": 123456789012345678901234567890}`, `{"a": 1} trailing`, `{"a": 1}   `, ` {"a": 1}`, `{"a": 01}`, `{"a": 1.}`,
	`{"a": 1-2}`, `{"a": -}`, `{"a": tru}`, `{"a": "bad` + "\xff" + `"}`, `{"a": "ctl` + "\x01" + `"}`, `{"a" 1}`, `{"a": 1,}`,
	`{,}`, `{"a": [1,]}`, `{"a": [1 2]}`, `{"b": [{"d": 1, "c": [true, null]}], "a": "<&>"}`,
	`{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
}

func wantInfo(raw []byte) []byte {
	if m := graph.DecodeInfo(raw); m != nil {
		return appendPyValue(nil, m)
	}
	return []byte("null")
}

func TestAppendPyInfoMatchesDecoding(t *testing.T) {
	for _, raw := range rawInfos {
		if got, want := appendPyInfo(nil, []byte(raw)), wantInfo([]byte(raw)); !bytes.Equal(got, want) {
			t.Errorf("appendPyInfo(%q) = %s, want %s", raw, got, want)
		}
	}
}

func FuzzAppendPyInfo(f *testing.F) {
	for _, raw := range rawInfos {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, want := appendPyInfo([]byte("prefix"), raw), append([]byte("prefix"), wantInfo(raw)...); !bytes.Equal(got, want) {
			t.Fatalf("appendPyInfo(%q) = %s, want %s", raw, got, want)
		}
	})
}

// TestAppendRowMatchesAppendUser: a listed row comes out as the user graph
// makes of it comes out of appendUser, and so of marshalPython.
func TestAppendRowMatchesAppendUser(t *testing.T) {
	created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	for _, raw := range rawInfos {
		for _, ts := range []*time.Time{nil, &created} {
			row := graph.UserRow{UserID: 7, Username: "é\"user\x01", Email: "u@x.io", Info: []byte(raw), Created: ts, Modified: &created}
			u := &model.User{ID: "7", Username: row.Username, Email: row.Email, Info: graph.DecodeInfo(row.Info), Created: time.Unix(0, 0).UTC(), Modified: created.UTC()}
			if ts != nil {
				u.Created = ts.UTC()
			}
			checkSame(t, u)
			if got, want := appendRow(nil, row), appendUser(nil, u); !bytes.Equal(got, want) {
				t.Errorf("appendRow = %s\nappendUser = %s", got, want)
			}
		}
	}
}

func TestAppendPyInfoPlainJSONDoesNotAllocate(t *testing.T) {
	raw := []byte(`{"team": "t3", "level": 3, "tags": ["a", "b"], "meta": {"x": null}}`)
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { appendPyInfo(buf[:0], raw) }); n != 0 {
		t.Errorf("appendPyInfo allocates %v times per call on plain JSON", n)
	}
}

// BenchmarkListRows is a 1,000-user batch: the rows decoded into users and
// written by appendUser, against appendRow.
func BenchmarkListRows(b *testing.B) {
	now := time.Now()
	rows := make([]graph.UserRow, 1000)
	for i := range rows {
		rows[i] = graph.UserRow{UserID: int32(i + 1), Username: fmt.Sprintf("user%d", i+1), Email: fmt.Sprintf("user%d@bench.example", i+1),
			Info: fmt.Appendf(nil, `{"team": "t%d", "level": %d}`, i%7, i%100), Created: &now, Modified: &now}
	}
	buf := make([]byte, 0, 256<<10)
	b.Run("decode+appendUser", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for _, r := range rows {
				u := &model.User{ID: fmt.Sprint(r.UserID), Username: r.Username, Email: r.Email, Info: graph.DecodeInfo(r.Info), Created: *r.Created, Modified: *r.Modified}
				buf = appendUser(buf, u)
			}
		}
	})
	b.Run("appendRow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			for _, r := range rows {
				buf = appendRow(buf, r)
			}
		}
	})
}
