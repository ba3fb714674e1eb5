package tracing_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"users/internal/apptest"
	"users/internal/dbpool"
	"users/internal/testdb"
	"users/internal/tracing"
)

func TestMain(m *testing.M) { testdb.Main(m) }

const (
	email    = "alice@example.com"
	password = "s3cretpassw0rd"
	// An incoming W3C traceparent: the service continues this trace.
	remoteTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	remoteSpan  = "00f067aa0ba902b7"
)

// tracedServer runs the service with every span recorded in memory, on a
// pool whose queries are traced.
func tracedServer(t *testing.T) (*apptest.Server, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	pool, err := dbpool.Open(t.Context(), dbpool.Options{URL: testdb.NewURL(t), MaxConns: 4, Tracer: tracing.PGX(tp)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return apptest.StartTraced(t, apptest.Config(), pool, tp), rec
}

// tree is the spans of one trace, found by name.
type tree map[string]sdktrace.ReadOnlySpan

func spansOf(t *testing.T, rec *tracetest.SpanRecorder, traceID string) tree {
	t.Helper()
	out := tree{}
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() == traceID {
			out[s.Name()] = s
		}
	}
	return out
}

// childOf fails the test unless span child's parent is span parent.
func (tr tree) childOf(t *testing.T, child, parent string) {
	t.Helper()
	c, ok := tr[child]
	if !ok {
		t.Errorf("no span %q in %v", child, tr.names())
		return
	}
	p, ok := tr[parent]
	if !ok {
		t.Errorf("no span %q in %v", parent, tr.names())
		return
	}
	if c.Parent().SpanID() != p.SpanContext().SpanID() {
		t.Errorf("span %q is not a child of %q", child, parent)
	}
}

func (tr tree) names() []string {
	var ns []string
	for n := range tr {
		ns = append(ns, n)
	}
	return ns
}

// TestRequestsMakeATree: a REST login and a GraphQL login each make one tree
// under the HTTP server span (continuing the caller's traceparent):
// the GraphQL operation, the SQL query by its sqlc name, the bcrypt
// comparison. A REST list with the token adds the session lookup. The access
// log carries the trace id, and no span holds a secret.
func TestRequestsMakeATree(t *testing.T) {
	srv, rec := tracedServer(t)
	srv.SignUp(t, "alice", email, password)

	traceparent := "00-" + remoteTrace + "-" + remoteSpan + "-01"
	status, _, body := srv.Do(t, http.MethodPost, "/v1/users/self/login",
		http.Header{"Content-Type": {"application/json"}, "Traceparent": {traceparent}},
		`{"email": "`+email+`", "password": "`+password+`"}`)
	if status != http.StatusOK {
		t.Fatalf("REST login: %d %s", status, body)
	}
	var login struct{ Data struct{ Token string } }
	if err := json.Unmarshal(body, &login); err != nil || login.Data.Token == "" {
		t.Fatalf("REST login: %s", body)
	}
	rest := spansOf(t, rec, remoteTrace)
	root := rest["POST /v1/users/self/login"]
	if root == nil {
		t.Fatalf("no server span named after the route; spans: %v", rest.names())
	}
	if root.SpanKind() != trace.SpanKindServer || root.Parent().SpanID().String() != remoteSpan || !root.Parent().IsRemote() {
		t.Errorf("server span: kind %v, parent %v; want the caller's span %s", root.SpanKind(), root.Parent().SpanID(), remoteSpan)
	}
	rest.childOf(t, "GetUserByEmail", "POST /v1/users/self/login")
	rest.childOf(t, "bcrypt.compare", "POST /v1/users/self/login")
	if !strings.Contains(srv.Logs.String(), `"route":"/v1/users/self/login","status":200`) ||
		!strings.Contains(srv.Logs.String(), `"trace_id":"`+remoteTrace+`"`) {
		t.Errorf("the access log does not carry trace_id %s:\n%s", remoteTrace, srv.Logs)
	}

	r := srv.GraphQL(t, "", `mutation LogIn($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`,
		map[string]any{"e": email, "p": password})
	var gql struct{ Login struct{ Token string } }
	r.Decode(t, &gql)
	var graphTrace tree
	for _, s := range rec.Ended() {
		if s.Name() == "mutation LogIn" {
			graphTrace = spansOf(t, rec, s.SpanContext().TraceID().String())
		}
	}
	if graphTrace == nil {
		t.Fatalf("no span for the GraphQL operation")
	}
	graphTrace.childOf(t, "mutation LogIn", "POST /graphql")
	graphTrace.childOf(t, "GetUserByEmail", "mutation LogIn")
	graphTrace.childOf(t, "bcrypt.compare", "mutation LogIn")
	if op := graphTrace["mutation LogIn"]; op != nil {
		if !hasAttr(op, "graphql.operation.name", "LogIn") || !hasAttr(op, "graphql.operation.type", "mutation") {
			t.Errorf("operation span attributes: %v", op.Attributes())
		}
	}
	if sql := graphTrace["GetUserByEmail"]; sql != nil && !hasAttr(sql, "db.system.name", "postgresql") {
		t.Errorf("SQL span attributes: %v", sql.Attributes())
	}

	status, _, _ = srv.Do(t, http.MethodGet, "/v1/users", http.Header{"Authorization": {login.Data.Token}}, "")
	if status != http.StatusOK {
		t.Fatalf("REST list: %d", status)
	}
	var list tree
	for _, s := range rec.Ended() {
		if s.Name() == "GET /v1/users" {
			list = spansOf(t, rec, s.SpanContext().TraceID().String())
		}
	}
	if list == nil {
		t.Fatal("no span for the list")
	}
	list.childOf(t, "GetSessionsBySID", "GET /v1/users")

	secrets := []string{email, password, login.Data.Token, gql.Login.Token, srv.SID(t, email), passwordHash(t, srv)}
	for _, s := range rec.Ended() {
		texts := []string{s.Name(), s.Status().Description}
		for _, a := range s.Attributes() {
			texts = append(texts, string(a.Key), a.Value.String())
		}
		for _, e := range s.Events() {
			texts = append(texts, e.Name)
			for _, a := range e.Attributes {
				texts = append(texts, string(a.Key), a.Value.String())
			}
		}
		for _, text := range texts {
			for _, secret := range secrets {
				if secret != "" && strings.Contains(text, secret) {
					t.Errorf("span %q holds a secret: %q", s.Name(), text)
				}
			}
		}
	}
}

func hasAttr(s sdktrace.ReadOnlySpan, key, value string) bool {
	for _, a := range s.Attributes() {
		if string(a.Key) == key && a.Value.String() == value {
			return true
		}
	}
	return false
}

func passwordHash(t *testing.T, srv *apptest.Server) string {
	t.Helper()
	var h string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT password FROM "user" WHERE email = $1`, email).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestOffPropagatesNothing: without a tracer provider the service neither
// continues a caller's trace nor logs a trace id.
func TestOffPropagatesNothing(t *testing.T) {
	srv := apptest.Start(t, apptest.Config())
	_, h, _ := srv.Do(t, http.MethodGet, "/healthz", http.Header{"Traceparent": {"00-" + remoteTrace + "-" + remoteSpan + "-01"}}, "")
	if h.Get("Traceparent") != "" || strings.Contains(srv.Logs.String(), "trace_id") {
		t.Errorf("tracing off, yet a trace is propagated or logged")
	}
}

func TestQueryName(t *testing.T) {
	for sql, want := range map[string]string{
		"-- name: GetUser :one\nSELECT 1":          "GetUser",
		"\n-- name: RotateSID :execrows\nUPDATE x": "RotateSID",
		"SELECT pg_notify($1, $2)":                 "SELECT",
		"select\n1":                                "SELECT",
		"-- a comment\nSELECT 1":                   "SQL",
		"":                                         "SQL",
	} {
		if got := tracing.QueryName(sql); got != want {
			t.Errorf("QueryName(%q) = %q, want %q", sql, got, want)
		}
	}
}
