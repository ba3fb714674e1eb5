package rest_test

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"users/internal/apptest"
	"users/internal/testdb"
)

// metaCode returns the legacy meta.code of an envelope, 0 for anything else.
func metaCode(v any) int {
	m, _ := v.(map[string]any)
	meta, _ := m["meta"].(map[string]any)
	n, _ := meta["code"].(json.Number)
	code, _ := strconv.Atoi(string(n))
	return code
}

// oasKeys returns m's keys in order, so cases run and fail in a stable order.
func oasKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// run sets the server up as the case's state says, sends the example request
// and checks the answer.
func (s *spec) run(t *testing.T, c *kase) {
	st := c.state
	cfg := apptest.Config()
	if st.cfg != nil {
		st.cfg(&cfg)
	}
	var srv *apptest.Server
	if st.db == "unmigrated" {
		pool, err := pgxpool.New(t.Context(), testdb.Empty(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		srv = apptest.StartOn(t, cfg, pool)
	} else {
		srv = apptest.Start(t, cfg)
	}

	header := http.Header{}
	if st.seed {
		create := s.operationByID(t, "createUser")
		for _, name := range []string{"created", "createdWithInfo"} {
			if status, _, body := s.send(t, srv, create, s.request(t, create, name), nil); status != http.StatusOK {
				t.Fatalf("seed %s: %d %s", name, status, body)
			}
		}
	}
	switch st.auth {
	case "token":
		header.Set("Authorization", srv.Login(t, "test1@gmail.com", "test1234"))
	case "garbage":
		header.Set("Authorization", "garbage")
	}
	if st.db == "gone" {
		srv.Pool.Close()
	}

	r := s.request(t, c.op, cmpOr(st.req, c.name))
	if st.tooLarge {
		r.media = "application/json"
		r.body = map[string]any{"pad": strings.Repeat("x", int(cfg.MaxBodyBytes))}
	}
	for range st.before {
		s.send(t, srv, c.op, r, header)
	}
	status, h, body := s.send(t, srv, c.op, r, header)

	if status != c.status {
		t.Fatalf("status = %d, want %d\n%s", status, c.status, body)
	}
	if c.media == "" {
		if len(body) > 0 || h.Get("Content-Type") != "" {
			t.Errorf("want no content, got %q: %s", h.Get("Content-Type"), body)
		}
	} else if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err != nil || mt != c.media {
		t.Errorf("Content-Type = %q, want %s", h.Get("Content-Type"), c.media)
	}
	resp := s.at(t, c.respPtr)
	headers, _ := resp["headers"].(map[string]any)
	for name := range headers {
		hdr, hptr := s.resolve(t, c.respPtr+"/headers/"+escape(name))
		v := h.Get(name)
		if v == "" {
			if req, _ := hdr["required"].(bool); req {
				t.Errorf("header %s missing", name)
			}
			continue
		}
		var inst any = v
		if typ, _ := s.at(t, hptr+"/schema")["type"].(string); typ == "integer" {
			inst = json.Number(v)
		}
		if err := s.schema(t, hptr+"/schema").Validate(inst); err != nil {
			t.Errorf("header %s: %q: %#v", name, v, err)
		}
	}
	if st.check != nil {
		st.check(t, h)
	}
	if c.media == "" {
		return
	}

	var got any = string(body)
	if c.media == "application/json" {
		var err error
		if got, err = decode(body); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, body)
		}
	}
	if err := s.schema(t, c.respPtr+"/content/"+escape(c.media)+"/schema").Validate(got); err != nil {
		t.Errorf("the answer does not match the documented schema: %#v\n%s", err, body)
	}
	if c.media == "text/plain" {
		// An excerpt: its HELP and TYPE lines must be in the answer.
		for line := range strings.SplitSeq(c.example.(string), "\n") {
			if strings.HasPrefix(line, "# ") && !strings.Contains(string(body), line) {
				t.Errorf("the answer lacks the example's line %q", line)
			}
		}
		return
	}
	if diff := matches("", c.example, got); diff != "" {
		t.Errorf("the answer differs from the example: %s\n%s", diff, body)
	}
}

func (s *spec) operationByID(t *testing.T, id string) *operation {
	t.Helper()
	for _, op := range s.operations(t) {
		if op.id == id {
			return op
		}
	}
	t.Fatalf("no operation %s", id)
	return nil
}

// send builds the request from the examples and sends it.
func (s *spec) send(t *testing.T, srv *apptest.Server, op *operation, r request, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	path := op.path
	query := url.Values{}
	for p, v := range r.params {
		switch p.in {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.name+"}", url.PathEscape(scalar(v)))
		case "query":
			query.Set(p.name, scalar(v))
		default:
			t.Fatalf("%s: parameters in %s are not supported by this test", op.id, p.in)
		}
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	var body string
	switch r.media {
	case "":
	case "application/json":
		b, err := json.Marshal(r.body)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	case "application/x-www-form-urlencoded":
		form := url.Values{}
		for k, v := range r.body.(map[string]any) {
			form.Set(k, scalar(v))
		}
		body = form.Encode()
	default:
		t.Fatalf("%s: request media type %s is not supported by this test", op.id, r.media)
	}
	if r.media != "" {
		h.Set("Content-Type", r.media)
	}
	return srv.Do(t, op.method, path, h, body)
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return fmt.Sprint(v)
}

// matches reports how got differs from the example want: objects must have
// want's keys with matching values (got may have more: the schema decides
// whether it may), arrays must match element by element, volatile keys only
// in type. It returns "" when they match.
func matches(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %T, want an object", path, got)
		}
		for _, k := range oasKeys((w)) {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			}
			if volatile[k] {
				if fmt.Sprintf("%T", gv) != fmt.Sprintf("%T", w[k]) {
					return fmt.Sprintf("%s.%s: got %T, want %T", path, k, gv, w[k])
				}
				continue
			}
			if d := matches(path+"."+k, w[k], gv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %d elements", path, got, len(w))
		}
		for i := range w {
			if d := matches(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	default:
		if want != got {
			return fmt.Sprintf("%s: got %v, want %v", path, got, want)
		}
		return ""
	}
}
