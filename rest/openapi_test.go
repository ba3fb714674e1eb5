package rest_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"users/internal/app"
	"users/internal/apptest"
	"users/internal/testdb"
	"users/rest"
)

// The OpenAPI document is kept true by sending every documented example to
// the running server. A response example named N under path P, method M and
// status S is one case: its request is built from the request examples named
// N (or the name its state gives): request body examples of that name (in
// any documented media type, sent with it) and parameter examples of that
// name. The case's state (openapi_states_test.go) sets the server up so that
// S is the answer: users signed up, a token, a closed database, a tight rate
// limit. The test (openapi_run_test.go) then checks the status, the media
// type, the required headers, the body against the documented schema (JSON
// Schema 2020-12, as OpenAPI 3.1 uses), and the body against the example
// itself (volatile values by type only).
// A response documented without content (OPTIONS) is one case, keyed
// operationId/status, whose answer must have no body.

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
		svc, err := app.New(slog.New(slog.DiscardHandler), apptest.Config(), testdb.New(t), nil)
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

// TestOpenAPIServed checks that /openapi.json serves the embedded document.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	srv := apptest.Start(t, apptest.Config())
	status, h, body := srv.Do(t, http.MethodGet, "/openapi.json", nil, "")
	if status != http.StatusOK || h.Get("Content-Type") != "application/json" || !bytes.Equal(body, rest.OpenAPI) {
		t.Fatalf("/openapi.json: %d %q, %d bytes", status, h.Get("Content-Type"), len(body))
	}
}
