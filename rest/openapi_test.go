package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/config"
	"users/internal/testdb"
	"users/rest"
)

// The OpenAPI document is kept true by sending every documented example to
// the running server. A response example named N under path P, method M and
// status S is one case: its request is built from the request examples named
// N (or the name its state gives): request body examples of that name (in
// any documented media type, sent with it) and parameter examples of that
// name. The case's state (below) sets the server up so that S is the answer:
// users signed up, a token, a closed database, a tight rate limit. The test
// then checks the status, the media type, the required headers, the body
// against the documented schema (JSON Schema 2020-12, as OpenAPI 3.1 uses),
// and the body against the example itself (volatile values by type only).
// A response documented without content (OPTIONS) is one case, keyed
// operationId/status, whose answer must have no body.

// state is how the server must be for a case.
type state struct {
	seed     bool                          // sign up the createUser examples "created" (user 1) and "createdWithInfo" (user 2)
	auth     string                        // "token": user 1's token; "garbage": a token that does not verify
	db       string                        // "gone": the pool is closed before the request; "unmigrated": a database without tables
	cfg      func(*config.Config)          // configuration changes
	req      string                        // the request examples to use; default: the response example's name
	before   int                           // send the same request this many times first
	tooLarge bool                          // replace the body with JSON over MaxBodyBytes
	check    func(*testing.T, http.Header) // extra checks on the response headers
}

func signupLimit(c *config.Config) { c.SignupLimit = config.Rate{Count: 1, Window: time.Hour} }
func loginLimit(c *config.Config)  { c.LoginLimit = config.Rate{Count: 1, Window: time.Hour} }
func smallBody(c *config.Config)   { c.MaxBodyBytes = 1 << 10 }
func tokenLimit(c *config.Config)  { c.TokenLimit = config.Rate{Count: 1, Window: time.Hour} }

func wantLink(link string) func(*testing.T, http.Header) {
	return func(t *testing.T, h http.Header) {
		t.Helper()
		if got := h.Get("Link"); got != link {
			t.Errorf("Link = %q, want %q", got, link)
		}
	}
}

// states holds every case, by operationId/status/example. A documented
// example without a state, or a state without an example, fails the test.
var states = map[string]state{
	"getRoot/200/banner": {},

	"createUser/200/created":         {},
	"createUser/200/createdWithInfo": {},
	"createUser/400/invalid":         {},
	"createUser/400/missingFields":   {},
	"createUser/400/unknownField":    {},
	"createUser/400/wrongTypes":      {},
	"createUser/400/notAnObject":     {},
	"createUser/413/tooLarge":        {cfg: smallBody, req: "created", tooLarge: true},
	"createUser/429/tooManyRequests": {cfg: signupLimit, req: "created", before: 1, check: wantRetryAfter},
	"createUser/500/duplicate":       {req: "created", before: 1},
	"createUser/500/unknownError":    {req: "created", db: "gone"},

	"listUsers/200/all":             {seed: true, auth: "token", check: wantLink("")},
	"listUsers/200/page":            {seed: true, auth: "token", check: wantLink(`</v1/users?limit=1&after=1>; rel="next"`)},
	"listUsers/200/nextPage":        {seed: true, auth: "token", check: wantLink("")},
	"listUsers/400/badLimit":        {seed: true, auth: "token"},
	"listUsers/401/noToken":         {},
	"listUsers/401/badToken":        {auth: "garbage"},
	"listUsers/429/tooManyRequests": {auth: "garbage", cfg: tokenLimit, before: 1, check: wantRetryAfter},
	"listUsers/500/unknownError":    {seed: true, auth: "token", db: "gone"},

	"updateUsers/401/noToken":         {},
	"updateUsers/404/notSupported":    {seed: true, auth: "token"},
	"updateUsers/429/tooManyRequests": {auth: "garbage", cfg: tokenLimit, before: 1, check: wantRetryAfter},

	"getUser/200/user":            {seed: true, auth: "token"},
	"getUser/401/noToken":         {req: "user"},
	"getUser/401/badToken":        {req: "user", auth: "garbage"},
	"getUser/404/notFound":        {seed: true, auth: "token"},
	"getUser/429/tooManyRequests": {req: "user", auth: "garbage", cfg: tokenLimit, before: 1, check: wantRetryAfter},
	"getUser/500/unknownError":    {req: "user", seed: true, auth: "token", db: "gone"},

	"optionsRoot/200":  {},
	"optionsUsers/200": {},
	"optionsUser/200":  {req: "user"},
	"optionsLogin/200": {},

	"healthz/200/ok":                 {},
	"readyz/200/ready":               {},
	"readyz/503/databaseUnreachable": {db: "gone"},
	"readyz/503/migrationsPending":   {db: "unmigrated"},
	"metrics/200/scrape":             {before: 1}, // the first scrape is counted by the second
	"openapi/200/document":           {},
}

func init() {
	for _, method := range []string{"Get", "Post"} {
		op := "login" + method
		states[op+"/200/json"] = state{seed: true}
		states[op+"/200/form"] = state{seed: true}
		states[op+"/200/query"] = state{seed: true}
		states[op+"/400/wrongPassword"] = state{seed: true}
		states[op+"/400/missingPassword"] = state{seed: true}
		states[op+"/404/unknownEmail"] = state{seed: true}
		states[op+"/413/tooLarge"] = state{cfg: smallBody, req: "json", tooLarge: true}
		states[op+"/429/tooManyRequests"] = state{seed: true, cfg: loginLimit, req: "json", before: 1, check: wantRetryAfter}
		states[op+"/500/unknownError"] = state{seed: true, req: "json", db: "gone"}
	}
}

func wantRetryAfter(t *testing.T, h http.Header) {
	t.Helper()
	if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n < 3590 || n > 3600 {
		t.Errorf("Retry-After = %q, want about 3600", h.Get("Retry-After"))
	}
}

// volatile are the keys compared by type only: tokens, timestamps, and the
// banner's database host.
var volatile = map[string]bool{"token": true, "created": true, "modified": true, "database": true}

// undocumented are the routes the OpenAPI document leaves to others: GraphQL
// has its own schema, the playground is a page.
var undocumented = map[string]bool{"/graphql": true, "/playground": true, "/playground/*": true, "/favicon.ico": true}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// spec is the parsed document with JSON-pointer access.
type spec struct {
	root map[string]any

	mu       sync.Mutex // the compiler and the cache are used by parallel subtests
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
}

const specURL = "mem:///openapi.json"

func loadSpec(t *testing.T) *spec {
	t.Helper()
	root, err := decode(rest.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if root.(map[string]any)["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", root.(map[string]any)["openapi"])
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1's schema dialect
	if err := c.AddResource(specURL, root); err != nil {
		t.Fatal(err)
	}
	return &spec{root: root.(map[string]any), compiler: c, schemas: map[string]*jsonschema.Schema{}}
}

// decode parses JSON with numbers as json.Number, as the validator wants them.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func escape(tok string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok) }

// at returns the object at pointer ptr ("#/a/b"), failing the test if absent.
func (s *spec) at(t *testing.T, ptr string) map[string]any {
	t.Helper()
	var cur any = s.root
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "#/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				t.Fatalf("%s: no element %q", ptr, tok)
			}
			cur = c[i]
		default:
			t.Fatalf("%s: %q is not in an object or array", ptr, tok)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object", ptr)
	}
	return m
}

// resolve follows $ref from the object at ptr, returning the target and its pointer.
func (s *spec) resolve(t *testing.T, ptr string) (map[string]any, string) {
	t.Helper()
	obj := s.at(t, ptr)
	for range 10 {
		ref, ok := obj["$ref"].(string)
		if !ok {
			return obj, ptr
		}
		ptr = ref
		obj = s.at(t, ptr)
	}
	t.Fatalf("%s: $ref loop", ptr)
	return nil, ""
}

// schema compiles the schema at ptr.
func (s *spec) schema(t *testing.T, ptr string) *jsonschema.Schema {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.schemas[ptr]; ok {
		return sch
	}
	sch, err := s.compiler.Compile(specURL + ptr)
	if err != nil {
		t.Fatalf("schema %s: %v", ptr, err)
	}
	s.schemas[ptr] = sch
	return sch
}

// param is a resolved parameter.
type param struct {
	name, in string
	required bool
	ptr      string
	examples map[string]any // example name -> value
}

// request is an operation's request examples of one name.
type request struct {
	params  map[*param]any
	body    any
	media   string // body media type; "" for no body
	bodyPtr string // pointer to the body's media type object
}

// operation is a resolved operation.
type operation struct {
	id, method, path, ptr string
	params                []*param
	bodyPtr               string // resolved requestBody pointer, "" if none
	bodyRequired          bool
	secured               bool
}

// kase is one documented response example.
type kase struct {
	op      *operation
	status  int
	name    string
	media   string
	respPtr string // resolved response object
	example any
	key     string // operationId/status/name
	state   state
}

func (s *spec) operations(t *testing.T) []*operation {
	t.Helper()
	var ops []*operation
	paths := s.at(t, "#/paths")
	for _, path := range oasKeys((paths)) {
		itemPtr := "#/paths/" + escape(path)
		item := s.at(t, itemPtr)
		for _, m := range methods {
			if _, ok := item[m]; !ok {
				continue
			}
			ptr := itemPtr + "/" + m
			o := s.at(t, ptr)
			op := &operation{id: o["operationId"].(string), method: strings.ToUpper(m), path: path, ptr: ptr}
			if sec, ok := o["security"].([]any); ok && len(sec) > 0 {
				op.secured = true
			}
			params, _ := o["parameters"].([]any)
			for i := range params {
				p, pptr := s.resolve(t, fmt.Sprintf("%s/parameters/%d", ptr, i))
				pa := &param{name: p["name"].(string), in: p["in"].(string), ptr: pptr, examples: map[string]any{}}
				pa.required, _ = p["required"].(bool)
				if exs, ok := p["examples"].(map[string]any); ok {
					for name := range exs {
						ex, _ := s.resolve(t, pptr+"/examples/"+escape(name))
						pa.examples[name] = ex["value"]
					}
				}
				op.params = append(op.params, pa)
			}
			if _, ok := o["requestBody"]; ok {
				body, bptr := s.resolve(t, ptr+"/requestBody")
				op.bodyPtr = bptr
				op.bodyRequired, _ = body["required"].(bool)
			}
			ops = append(ops, op)
		}
	}
	return ops
}

// request returns the request examples named name.
func (s *spec) request(t *testing.T, op *operation, name string) request {
	t.Helper()
	r := request{params: map[*param]any{}}
	for _, p := range op.params {
		if v, ok := p.examples[name]; ok {
			r.params[p] = v
		} else if p.required {
			t.Fatalf("%s: required parameter %s has no example %q", op.id, p.name, name)
		}
	}
	if op.bodyPtr != "" {
		content := s.at(t, op.bodyPtr+"/content")
		for _, mt := range oasKeys((content)) {
			mtPtr := op.bodyPtr + "/content/" + escape(mt)
			exs, _ := s.at(t, mtPtr)["examples"].(map[string]any)
			if _, ok := exs[name]; !ok {
				continue
			}
			if r.media != "" {
				t.Fatalf("%s: request example %q in two media types", op.id, name)
			}
			ex, _ := s.resolve(t, mtPtr+"/examples/"+escape(name))
			r.body, r.media, r.bodyPtr = ex["value"], mt, mtPtr
		}
		if r.media == "" && op.bodyRequired {
			t.Fatalf("%s: the body is required but has no example %q", op.id, name)
		}
	}
	return r
}

func (s *spec) cases(t *testing.T, ops []*operation) []*kase {
	t.Helper()
	var cases []*kase
	for _, op := range ops {
		responses := s.at(t, op.ptr+"/responses")
		for _, code := range oasKeys((responses)) {
			status, err := strconv.Atoi(code)
			if err != nil {
				t.Fatalf("%s: response %q is not a status code", op.id, code)
			}
			resp, rptr := s.resolve(t, op.ptr+"/responses/"+code)
			content, _ := resp["content"].(map[string]any)
			if len(content) == 0 {
				c := &kase{op: op, status: status, respPtr: rptr, key: op.id + "/" + code}
				c.state = states[c.key]
				cases = append(cases, c)
				continue
			}
			n := 0
			for _, mt := range oasKeys((content)) {
				mtPtr := rptr + "/content/" + escape(mt)
				exs, _ := s.at(t, mtPtr)["examples"].(map[string]any)
				for _, name := range oasKeys((exs)) {
					ex, _ := s.resolve(t, mtPtr+"/examples/"+escape(name))
					c := &kase{op: op, status: status, name: name, media: mt, respPtr: rptr, example: ex["value"],
						key: op.id + "/" + code + "/" + name}
					c.state = states[c.key]
					cases = append(cases, c)
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s %d: no example, so the test cannot check it", op.id, status)
			}
		}
	}
	return cases
}

// TestOpenAPI checks the document against the router and the running server.
func TestOpenAPI(t *testing.T) {
	s := loadSpec(t)
	ops := s.operations(t)
	cases := s.cases(t, ops)

	t.Run("every route documented", func(t *testing.T) {
		documented := map[string]bool{}
		for _, op := range ops {
			documented[op.method+" "+op.path] = true
		}
		routed := map[string]bool{}
		svc, err := app.New(slog.New(slog.DiscardHandler), apptest.Config(), testdb.New(t))
		if err != nil {
			t.Fatal(err)
		}
		routes, ok := svc.Handler.(chi.Routes)
		if !ok {
			t.Fatalf("app.New's handler is a %T, not a chi router: walk its router here", svc.Handler)
		}
		err = chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			if undocumented[route] {
				return nil
			}
			routed[method+" "+route] = true
			if !documented[method+" "+route] {
				t.Errorf("route %s %s is not in openapi.json", method, route)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for k := range documented {
			if !routed[k] {
				t.Errorf("openapi.json documents %s, which the router does not have", k)
			}
		}
	})

	t.Run("every example has a state", func(t *testing.T) {
		seen := map[string]bool{}
		for _, c := range cases {
			seen[c.key] = true
			if _, ok := states[c.key]; !ok {
				t.Errorf("example %s: no entry in states, so the test does not know how to produce it", c.key)
			}
		}
		for k := range states {
			if !seen[k] {
				t.Errorf("states has %s, which openapi.json does not document", k)
			}
		}
	})

	t.Run("examples agree with the schemas", func(t *testing.T) {
		// Response examples validate. Request examples validate when their
		// answer is a success, and must not when it is code 88 Invalid
		// Parameter (they show what the legacy rules refuse). Every request
		// example is used by a case.
		used := map[string]bool{}
		for _, c := range cases {
			if c.media != "" { // a response without content has no example
				if err := s.schema(t, c.respPtr+"/content/"+escape(c.media)+"/schema").Validate(c.example); err != nil {
					t.Errorf("%s: the example does not match its schema: %#v", c.key, err)
				}
			}
			name := cmpOr(c.state.req, c.name)
			r := s.request(t, c.op, name)
			var problems []string // why parts of the request break their schemas
			if r.media != "" {
				used[r.bodyPtr+"/examples/"+name] = true
				if err := s.schema(t, r.bodyPtr+"/schema").Validate(r.body); err != nil {
					problems = append(problems, fmt.Sprintf("body: %#v", err))
				}
			}
			for p, v := range r.params {
				used[p.ptr+"/examples/"+name] = true
				if err := s.schema(t, p.ptr+"/schema").Validate(v); err != nil {
					problems = append(problems, fmt.Sprintf("parameter %s: %#v", p.name, err))
				}
			}
			switch {
			case c.status < 300 && len(problems) > 0:
				t.Errorf("%s: request example %q breaks its schema: %s", c.key, name, strings.Join(problems, "; "))
			case metaCode(c.example) == 88 && c.state.req == "" && len(problems) == 0:
				t.Errorf("%s: request example %q matches its schemas, yet is answered 88 Invalid Parameter", c.key, name)
			}
		}
		for _, op := range ops {
			for _, p := range op.params {
				for name := range p.examples {
					if !used[p.ptr+"/examples/"+name] {
						t.Errorf("%s: parameter %s example %q is not used by any response example", op.id, p.name, name)
					}
				}
			}
			if op.bodyPtr == "" {
				continue
			}
			content := s.at(t, op.bodyPtr+"/content")
			for mt := range content {
				mtPtr := op.bodyPtr + "/content/" + escape(mt)
				exs, _ := s.at(t, mtPtr)["examples"].(map[string]any)
				for name := range exs {
					if !used[mtPtr+"/examples/"+name] {
						t.Errorf("%s: %s request example %q is not used by any response example", op.id, mt, name)
					}
				}
			}
		}
	})
	if t.Failed() {
		return
	}

	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			t.Parallel()
			s.run(t, c)
		})
	}
}

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

// TestOpenAPIServed checks that /openapi.json serves the embedded document.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	status, h, body := srv.Do(t, http.MethodGet, "/openapi.json", nil, "")
	if status != http.StatusOK || h.Get("Content-Type") != "application/json" || !bytes.Equal(body, rest.OpenAPI) {
		t.Fatalf("/openapi.json: %d %q, %d bytes", status, h.Get("Content-Type"), len(body))
	}
}
