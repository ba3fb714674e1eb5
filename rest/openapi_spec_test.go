package rest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"users/rest"
)

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
