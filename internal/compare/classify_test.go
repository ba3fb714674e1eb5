package compare

import (
	"net/http"
	"reflect"
	"testing"

	"users/internal/exchange"
)

func jsonAnswer(status int, body string) answer {
	return newAnswer(status, http.Header{"Content-Type": {"application/json"}}, []byte(body))
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"token, times and ids",
			`{"data": {"token": "gAAAAABrBy_Of-x_y==", "created": 1795633102, "modified": "2026-11-25T18:58:22Z", "user_id": 7, "id": "7"}}`,
			`{"data":{"created":"<time>","id":"<id>","modified":"<time>","token":"<token>","user_id":"<id>"}}`},
		{"not a token, not a time",
			`{"token": "garbage", "created": 12, "modified": 1.5e9, "id": null}`,
			`{"created":12,"id":null,"modified":1.5e9,"token":"garbage"}`},
		{"lists of objects in a canonical order",
			`{"data": [{"username": "b"}, {"username": "a"}], "tags": ["b", "a"]}`,
			`{"data":[{"username":"a"},{"username":"b"}],"tags":["b","a"]}`},
		{"banner host",
			`{"server": "Falcon REST API Template", "database": "postgresql (db.internal:5432)"}`,
			`{"database":"postgresql (<host>)","server":"Falcon REST API Template"}`},
		{"an envelope keeps a database field",
			`{"meta": {"code": 200}, "database": "postgresql (x)"}`,
			`{"database":"postgresql (x)","meta":{"code":200}}`},
		{"numbers keep their form", `{"n": 1.0, "m": 1}`, `{"m":1,"n":1.0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, ok := decodeJSON([]byte(tt.in))
			if !ok {
				t.Fatal("not JSON")
			}
			if got := canonical(normalize(doc)); got != tt.want {
				t.Errorf("normalize(%s)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestDiffAnswers(t *testing.T) {
	tests := []struct {
		name        string
		legacy, neu answer
		want        []Diff
	}{
		{"same after normalization",
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"token": "gAAAAAB1", "created": 1795633102}}`),
			jsonAnswer(200, `{"data": {"created": 1795633999, "token": "gAAAAAB2"}, "meta": {"message": "OK", "code": 200}}`),
			nil},
		{"status, meta first, then data",
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error"}, "data": {"a": 1}}`),
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": "x"}, "data": {"a": 2, "b": 3}}`),
			[]Diff{{"status", "500", "400"}, {"meta.code", "77", "88"}, {"meta.description", absent, `"x"`},
				{"meta.message", `"Database Rollback Error"`, `"Invalid Parameter"`}, {"data.a", "1", "2"}, {"data.b", absent, "3"}}},
		{"list lengths",
			jsonAnswer(200, `{"data": [{"u": 1}, {"u": 2}]}`),
			jsonAnswer(200, `{"data": [{"u": 1}]}`),
			[]Diff{{"data", "2 items", "1 items"}}},
		{"type change",
			jsonAnswer(200, `{"data": null}`),
			jsonAnswer(200, `{"data": []}`),
			[]Diff{{"data", "null", "[]"}}},
		{"not JSON, and the media type",
			newAnswer(404, http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, []byte("404 page not found\n")),
			jsonAnswer(404, `{"title": "404 Not Found"}`),
			[]Diff{{"content-type", `"text/plain"`, `"application/json"`}, {"body", `"404 page not found"`, `"{\"title\": \"404 Not Found\"}"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diffAnswers(tt.legacy, tt.neu); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("diffAnswers\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	departures := map[string]exchange.Departure{
		"10-create-malformed-json.txt": {Status: 400, Meta: map[string]any{"code": float64(88), "message": "Invalid Parameter", "description": "No JSON object could be decoded or Malformed JSON"}},
	}
	crash := jsonAnswer(500, `{"title": "500 Internal Server Error"}`)
	tests := []struct {
		name        string
		ex          exchange.Exchange
		legacy, neu answer
		outcome     Outcome
		departure   string
	}{
		{"departures.json entry",
			exchange.Exchange{Name: "10-create-malformed-json.txt", Method: "POST", Target: "/v1/users"},
			crash, jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": "No JSON object could be decoded or Malformed JSON"}}`),
			Departure, "departures.json"},
		{"departures.json entry, but another answer than the one listed",
			exchange.Exchange{Name: "10-create-malformed-json.txt", Method: "POST", Target: "/v1/users"},
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": "x"}}`),
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": "y"}}`),
			Difference, ""},
		{"validation messages as a string and in another order",
			exchange.Exchange{Name: "04", Method: "POST", Target: "/v1/users"},
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": {"username": ["min length is 4"], "password": ["min length is 8", "value does not match regex 'x'"]}}}`),
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": {"username": "min length is 4", "password": ["value does not match regex 'x'", "min length is 8"]}}}`),
			Departure, "validation-shape"},
		{"validation with another message",
			exchange.Exchange{Name: "04", Method: "POST", Target: "/v1/users"},
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": {"username": ["min length is 4"]}}}`),
			jsonAnswer(400, `{"meta": {"code": 88, "message": "Invalid Parameter", "description": {"username": "max length is 20"}}}`),
			Difference, ""},
		{"tokens withheld from a list",
			exchange.Exchange{Name: "32", Method: "GET", Target: "/v1/users"},
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": [{"username": "a", "token": "gAAAAAB1"}, {"username": "b", "token": "gAAAAAB2"}]}`),
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": [{"username": "b"}, {"username": "a"}]}`),
			Departure, "token-withheld"},
		{"a token missing from a login is a difference",
			exchange.Exchange{Name: "20", Method: "GET", Target: "/v1/users/self/login"},
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"username": "a", "token": "gAAAAAB1"}}`),
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"username": "a"}}`),
			Difference, ""},
		{"tokens withheld, but another user",
			exchange.Exchange{Name: "34", Method: "GET", Target: "/v1/users/1"},
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"username": "a", "token": "gAAAAAB1"}}`),
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"username": "b"}}`),
			Difference, ""},
		{"secrets withheld from a duplicate's params",
			exchange.Exchange{Name: "64", Method: "POST", Target: "/v1/users"},
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error", "description": {"details": "dup", "params": "{'username': 'a', 'email': 'a@b.co', 'password': '$2b$12$x/y.z', 'info': 'null', 'token': 'gAAAAAB1==', 'sid': '123'}"}}}`),
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error", "description": {"details": "dup", "params": "{'username': 'a', 'email': 'a@b.co', 'info': 'null'}"}}}`),
			Departure, "secrets-withheld"},
		{"secrets withheld, first in the dict",
			exchange.Exchange{Name: "64", Method: "POST", Target: "/v1/users"},
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error", "description": {"details": "dup", "params": "{'password': 'h', 'username': 'a'}"}}}`),
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error", "description": {"details": "dup", "params": "{'username': 'a'}"}}}`),
			Departure, "secrets-withheld"},
		{"secrets withheld, but other details",
			exchange.Exchange{Name: "64", Method: "POST", Target: "/v1/users"},
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error", "description": {"details": "dup", "params": "{'username': 'a', 'password': 'h'}"}}}`),
			jsonAnswer(500, `{"meta": {"code": 77, "message": "Database Rollback Error", "description": {"details": "other", "params": "{'username': 'a'}"}}}`),
			Difference, ""},
		{"legacy crashed, a client error here",
			exchange.Exchange{Name: "31", Method: "GET", Target: "/v1/users"},
			crash, jsonAnswer(401, `{"meta": {"code": 99, "message": "Authentication Required", "description": "invalid or expired token"}}`),
			Departure, "legacy-crash"},
		{"legacy crashed, this service serves the request",
			exchange.Exchange{Name: "50", Method: "GET", Target: "/v1/users/self/login"},
			crash, jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"username": "a"}}`),
			Departure, "legacy-crash"},
		{"legacy crashed, this service answers without the envelope",
			exchange.Exchange{Name: "50", Method: "GET", Target: "/v1/users/self/login"},
			crash, jsonAnswer(400, `{"title": "Bad Request"}`),
			Difference, ""},
		{"an addition",
			exchange.Exchange{Name: "52", Method: "POST", Target: "/v1/users/self/login"},
			jsonAnswer(404, `{"meta": {"code": 10, "message": "Not Supported", "description": "method: POST, url: /v1/users/self/login"}}`),
			jsonAnswer(200, `{"meta": {"code": 200, "message": "OK"}, "data": {"username": "a"}}`),
			Departure, "addition"},
		{"not supported on both, in other words",
			exchange.Exchange{Name: "52", Method: "PATCH", Target: "/v1/users"},
			jsonAnswer(404, `{"meta": {"code": 10, "message": "Not Supported", "description": "method: PATCH, url: /v1/users"}}`),
			jsonAnswer(404, `{"meta": {"code": 10, "message": "Not Supported", "description": "PATCH"}}`),
			Difference, ""},
		{"legacy crashed, and so did this service",
			exchange.Exchange{Name: "31", Method: "GET", Target: "/v1/users"},
			crash, jsonAnswer(500, `{"meta": {"code": 500, "message": "Unknown Error"}}`),
			Difference, ""},
		{"legacy's empty 200",
			exchange.Exchange{Name: "41", Method: "PUT", Target: "/v1/users"},
			newAnswer(200, http.Header{"Content-Type": {"application/json"}}, nil),
			jsonAnswer(404, `{"meta": {"code": 10, "message": "Not Supported", "description": "method: PUT, url: /v1/users"}}`),
			Departure, "legacy-empty-200"},
		{"OPTIONS without a Content-Type",
			exchange.Exchange{Name: "62", Method: "OPTIONS", Target: "/v1/users"},
			newAnswer(200, http.Header{"Content-Type": {"application/json"}}, nil),
			newAnswer(200, http.Header{"Allow": {"DELETE, GET, POST, PUT"}}, nil),
			Departure, "options-no-content-type"},
		{"OPTIONS with another status",
			exchange.Exchange{Name: "62", Method: "OPTIONS", Target: "/v1/users"},
			newAnswer(200, http.Header{"Content-Type": {"application/json"}}, nil),
			newAnswer(204, nil, nil),
			Difference, ""},
		{"a failed side",
			exchange.Exchange{Name: "1", Method: "GET", Target: "/"},
			answer{err: http.ErrHandlerTimeout}, jsonAnswer(200, `{}`),
			Failed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := classify(tt.ex, tt.legacy, tt.neu, departures)
			if r.Outcome != tt.outcome || r.Departure != tt.departure {
				t.Errorf("outcome %s [%s], want %s [%s]; diffs %+v", r.Outcome, r.Departure, tt.outcome, tt.departure, r.Diffs)
			}
			if r.Outcome == Failed && r.Error == "" {
				t.Error("failed without a reason")
			}
		})
	}
}

func TestRouteOf(t *testing.T) {
	tests := []struct{ method, target, want string }{
		{"GET", "/v1/users/12?x=1", "GET /v1/users/{id}"},
		{"GET", "/", "GET /"},
		{"PUT", "/v1/users", "PUT /v1/users"},
		{"GET", "/v1/users/abc", "GET /v1/users/abc"},
	}
	for _, tt := range tests {
		if got := routeOf(tt.method, tt.target); got != tt.want {
			t.Errorf("routeOf(%s %s) = %s, want %s", tt.method, tt.target, got, tt.want)
		}
	}
}

func TestMapToken(t *testing.T) {
	s := &side{tokens: map[string]string{}}
	s.learnTokens(mustJSON(t, `{"data": {"token": "rec1"}, "list": [{"token": "rec2"}]}`),
		jsonAnswer(200, `{"data": {"token": "mine1"}, "list": [{"token": "mine2"}]}`))
	tests := []struct{ in, want string }{
		{"rec1", "mine1"},
		{"Bearer rec1", "Bearer mine1"},
		{"rec2", "rec2"}, // lists are not learnt from
		{"other", "other"},
	}
	for _, tt := range tests {
		if got := s.mapToken(tt.in); got != tt.want {
			t.Errorf("mapToken(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, ok := decodeJSON([]byte(s))
	if !ok {
		t.Fatalf("not JSON: %s", s)
	}
	return v
}

// FuzzClassify feeds arbitrary answers (outside input: whatever the two
// services send) to the comparison: it never panics, and an answer compared
// with itself is the same.
func FuzzClassify(f *testing.F) {
	f.Add(200, `{"meta": {"code": 200}, "data": [{"token": "gAAAAAB1"}]}`, 500, `{"title": "x"}`)
	f.Add(400, `{"meta": {"code": 88, "description": {"a": ["x", 1]}}}`, 400, `{"meta": {"code": 88, "description": {"a": "x"}}}`)
	f.Add(200, `[{"a": {}}, {"a": []}]`, 200, `{"meta": {"code": {"x": 1}, "message": [1]}}`)
	f.Fuzz(func(t *testing.T, ls int, lb string, ns int, nb string) {
		ex := exchange.Exchange{Name: "10-create-malformed-json.txt", Method: "GET", Target: "/v1/users"}
		deps := map[string]exchange.Departure{ex.Name: {Status: 400, Meta: map[string]any{"code": float64(88)}}}
		h := http.Header{"Content-Type": {"application/json"}}
		classify(ex, newAnswer(ls, h, []byte(lb)), newAnswer(ns, h, []byte(nb)), deps)
		if r := classify(ex, newAnswer(ns, h, []byte(nb)), newAnswer(ns, h, []byte(nb)), deps); r.Outcome != Same {
			t.Errorf("an answer compared with itself: %s %+v", r.Outcome, r.Diffs)
		}
	})
}
