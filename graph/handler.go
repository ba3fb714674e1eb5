package graph

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"users/internal/gqlhttp"
	"users/internal/persisted"
)

// Schema is the GraphQL schema the resolvers serve.
func Schema() *ast.Schema { return NewExecutableSchema(Config{}).Schema() }

// Limits on one GraphQL request, besides the complexity limit (complexity.go)
// and the response limit (budget.go).
const (
	DefaultDepthLimit = 15 // GraphiQL's own introspection query nests 14 levels
	DefaultTokenLimit = 2000
)

// HandlerOptions configures the GraphQL endpoint.
type HandlerOptions struct {
	Introspection bool  // schema introspection and "did you mean" suggestions
	MaxBodyBytes  int64 // POST body limit
	// MaxResponseBytes caps the bytes one answer may hold
	// (DefaultMaxResponseBytes when 0): info read is charged as it is read,
	// and the encoded answer is checked at the end; over it, the answer is
	// one RESPONSE_TOO_LARGE error.
	MaxResponseBytes int64
	// Trace, when set, wraps every response (internal/tracing's span per
	// operation); nil adds nothing.
	Trace graphql.ResponseMiddleware
	// Operation is told each operation's name (see OperationName) before it
	// runs, for the access log.
	Operation func(ctx context.Context, name string)
	// OperationDone is told, once per response, the operation's name (see
	// OperationName) and whether the response is free of errors, for metrics.
	// Requests refused before parsing (wrong media type, malformed JSON, too
	// large) never reach it.
	OperationDone func(ctx context.Context, name string, ok bool)
	// Persisted resolves persisted operations (APQ, trusted documents);
	// nil: requests must send their document.
	Persisted *persisted.Extension
}

// MaxOperationNameLen is how much of an operation name the hooks are told.
const MaxOperationNameLen = 64

// OperationName returns the name of the operation being served: the name in
// the document of the operation selected (the client's operationName may be
// absent for a one-operation document), else the requested operationName.
// It is "" when unnamed, or when the name is not a GraphQL name (so never
// invalid UTF-8 or control characters), and is cut to MaxOperationNameLen bytes.
func OperationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return ""
	}
	oc := graphql.GetOperationContext(ctx)
	name := oc.OperationName
	op := oc.Operation
	if op == nil && oc.RawQuery != "" {
		// The document failed validation, so gqlgen kept no parsed copy: the
		// name of a failing operation is worth a second parse, on this error
		// path only.
		if doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: oc.RawQuery}, DefaultTokenLimit); err == nil {
			op = doc.Operations.ForName(oc.OperationName)
		}
	}
	if op != nil {
		name = op.Name
	}
	if !isName(name) {
		return ""
	}
	return name[:min(len(name), MaxOperationNameLen)]
}

// isName reports whether s is a GraphQL Name: /[_A-Za-z][_0-9A-Za-z]*/.
func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// NewHandler returns the /graphql handler: gqlgen over the resolvers with the
// GraphQL-over-HTTP transport, the error presenter, the request limits, and
// GraphQL's answer to a panic.
func NewHandler(r *Resolver, log *slog.Logger, o HandlerOptions) http.Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	srv.AddTransport(gqlhttp.Transport{MaxBodyBytes: o.MaxBodyBytes, PersistedDocuments: o.Persisted != nil})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	present := ErrorPresenter(log)
	srv.SetErrorPresenter(present)
	srv.SetRecoverFunc(RecoverFunc)
	srv.SetParserTokenLimit(DefaultTokenLimit)
	srv.SetDisableSuggestion(!o.Introspection)
	if o.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(depthLimit(DefaultDepthLimit)) // first: the complexity walk then meets only shallow documents
	srv.Use(complexityLimit(DefaultComplexityLimit))
	if o.Persisted != nil {
		srv.Use(*o.Persisted) // after the limits: an APQ document is stored once it passed them
	}
	if o.Operation != nil || o.OperationDone != nil {
		// Every response passes here, also those of operations that failed to
		// parse or validate, which never reach AroundOperations.
		srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
			name := OperationName(ctx)
			if o.Operation != nil {
				o.Operation(ctx, name)
			}
			resp := next(ctx)
			if o.OperationDone != nil && resp != nil {
				o.OperationDone(ctx, name, len(resp.Errors) == 0)
			}
			return resp
		})
	}
	srv.AroundResponses(responseLimit(o.MaxResponseBytes, present))
	if o.Trace != nil {
		srv.AroundResponses(o.Trace)
	}
	return recoverer(srv, present)
}

// responseLimit gives each request a budget of limit bytes of info
// (chargeInfo) and checks the encoded data at the end: an answer over either
// becomes one RESPONSE_TOO_LARGE error with no data, rather than a huge body
// or a page of per-field errors.
func responseLimit(limit int64, present graphql.ErrorPresenterFunc) graphql.ResponseMiddleware {
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		ctx, budget := withResponseBudget(ctx, limit)
		resp := next(ctx)
		if resp == nil || (!budget.exceeded() && int64(len(resp.Data)) <= limit) {
			return resp
		}
		return &graphql.Response{
			Errors:     gqlerror.List{present(ctx, errResponseTooLarge(limit))},
			Extensions: resp.Extensions,
		}
	}
}

// depthLimit refuses operations nested deeper than max selection levels
// (fragments included), before any resolver runs.
type depthLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit(0)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth(oc.Operation.SelectionSet, map[string]int{}) > int(d) {
		err := gqlerror.Errorf("operation is nested deeper than %d levels", int(d))
		err.Extensions = map[string]any{"code": "QUERY_TOO_DEEP"}
		return err
	}
	return nil
}

// depth returns how many levels of fields set nests, fragments included.
// Each fragment is measured once and remembered in fragments: a fragment
// spread twice in a fragment spread twice, and so on, would otherwise take
// time exponential in the document's length.
func depth(set ast.SelectionSet, fragments map[string]int) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + depth(s.SelectionSet, fragments)
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, fragments)
		case *ast.FragmentSpread:
			var ok bool
			if d, ok = fragments[s.Name]; !ok && s.Definition != nil {
				fragments[s.Name] = 0 // validation refuses cycles; this stops one anyway
				d = depth(s.Definition.SelectionSet, fragments)
				fragments[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
