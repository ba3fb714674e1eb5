package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// answer is what one side (or the recording) answered to one request.
type answer struct {
	status      int
	contentType string // media type only, lower case: "application/json"
	body        []byte
	doc         any  // the body decoded as JSON, numbers as json.Number
	isJSON      bool // doc is meaningful (a JSON null decodes to a nil doc)
	err         error
}

func newAnswer(status int, h http.Header, body []byte) answer {
	a := answer{status: status, body: body}
	if ct := h.Get("Content-Type"); ct != "" {
		a.contentType = strings.ToLower(ct)
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			a.contentType = mt
		}
	}
	a.doc, a.isJSON = decodeJSON(body)
	return a
}

// decodeJSON decodes one JSON value filling the whole body.
func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // 1 and 1.0 are different answers to a Python client
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// Placeholders for values that legitimately differ between two services.
const (
	phToken = "<token>"
	phTime  = "<time>"
	phID    = "<id>"
)

var (
	// fernetToken is the shape of a Fernet token: version byte 0x80, then
	// url-safe base64.
	fernetToken = regexp.MustCompile(`^gAAAAA[A-Za-z0-9_-]+=*$`)
	// bannerDatabase is GET /'s "database": "postgresql (host)", where the
	// host is however each service was configured to reach PostgreSQL.
	bannerDatabase = regexp.MustCompile(`^(\w+) \(.*\)$`)
)

// normalize returns a copy of a decoded JSON document with what legitimately
// differs between two services replaced by placeholders:
//   - "token": a Fernet token, whatever its bytes (each service mints its own);
//   - "created", "modified", "expiresAt": a plausible time (Unix seconds after
//     2001, or an RFC 3339 string), whatever its value;
//   - "id", "user_id": any number or string (ids are assigned in the order
//     rows were created, which two databases need not share);
//   - the banner's "database": "postgresql (<host>)";
//   - lists of objects are compared in a canonical order, since the legacy
//     list has no ORDER BY.
func normalize(doc any) any {
	root, ok := doc.(map[string]any)
	if ok && root["meta"] == nil {
		if s, ok := root["database"].(string); ok {
			root = clone(root)
			root["database"] = bannerDatabase.ReplaceAllString(s, "$1 (<host>)")
			doc = root
		}
	}
	return normalizeValue(doc)
}

func normalizeValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalizeField(k, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		objects := true
		for i, x := range v {
			out[i] = normalizeValue(x)
			_, isMap := x.(map[string]any)
			objects = objects && isMap
		}
		if objects {
			slices.SortStableFunc(out, func(a, b any) int { return strings.Compare(canonical(a), canonical(b)) })
		}
		return out
	}
	return v
}

func normalizeField(key string, v any) any {
	switch key {
	case "token":
		if s, ok := v.(string); ok && fernetToken.MatchString(s) {
			return phToken
		}
	case "created", "modified", "expiresAt":
		if plausibleTime(v) {
			return phTime
		}
	case "id", "user_id":
		switch v.(type) {
		case json.Number, string:
			return phID
		}
	}
	return normalizeValue(v)
}

// plausibleTime reports whether v is a whole number of Unix seconds after
// 2001 or an RFC 3339 time.
func plausibleTime(v any) bool {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		return err == nil && n >= 1e9
	case string:
		_, err := time.Parse(time.RFC3339Nano, v)
		return err == nil
	}
	return false
}

// canonical is a value's JSON with sorted keys, for ordering and display.
func canonical(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // placeholders are "<token>", not "\u003ctoken\u003e"
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Diff is one difference between the two answers, at a field such as
// "status", "meta.code" or "data[1].email". Values are JSON, "(absent)" for
// a missing key, or a short description.
type Diff struct {
	Field  string `json:"field"`
	Legacy string `json:"legacy"`
	New    string `json:"new"`
}

const absent = "(absent)"

// diffAnswers lists the differences between two normalized answers: status,
// media type, then the body field by field (meta first).
func diffAnswers(legacy, neu answer) []Diff {
	var out []Diff
	if legacy.status != neu.status {
		out = append(out, Diff{"status", fmt.Sprint(legacy.status), fmt.Sprint(neu.status)})
	}
	if legacy.contentType != neu.contentType {
		out = append(out, Diff{"content-type", quote(legacy.contentType), quote(neu.contentType)})
	}
	if !legacy.isJSON || !neu.isJSON {
		lb, nb := bytes.TrimSpace(legacy.body), bytes.TrimSpace(neu.body)
		if !bytes.Equal(lb, nb) {
			out = append(out, Diff{"body", quote(string(lb)), quote(string(nb))})
		}
		return out
	}
	return diffValues("", normalize(legacy.doc), normalize(neu.doc), out)
}

func diffValues(path string, a, b any, out []Diff) []Diff {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		for _, k := range keysMetaFirst(av, bv) {
			x, inA := av[k]
			y, inB := bv[k]
			p := join(path, k)
			switch {
			case !inA:
				out = append(out, Diff{p, absent, show(y)})
			case !inB:
				out = append(out, Diff{p, show(x), absent})
			default:
				out = diffValues(p, x, y, out)
			}
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok {
			break
		}
		if len(av) != len(bv) {
			return append(out, Diff{path, fmt.Sprintf("%d items", len(av)), fmt.Sprintf("%d items", len(bv))})
		}
		for i := range av {
			out = diffValues(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out)
		}
		return out
	}
	if canonical(a) != canonical(b) {
		if path == "" {
			path = "body"
		}
		out = append(out, Diff{path, show(a), show(b)})
	}
	return out
}

// keysMetaFirst is the union of both maps' keys, "meta" first, then sorted.
func keysMetaFirst(a, b map[string]any) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.SortFunc(keys, func(x, y string) int {
		if (x == "meta") != (y == "meta") {
			if x == "meta" {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	})
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// maxShown bounds a value in a report.
const maxShown = 160

func show(v any) string { return clipText(canonical(v)) }

func quote(s string) string { return clipText(fmt.Sprintf("%q", s)) }

func clipText(s string) string {
	if len(s) <= maxShown {
		return s
	}
	return strings.ToValidUTF8(s[:maxShown], "") + "..."
}
