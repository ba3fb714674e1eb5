package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"users/graph/model"
	"users/internal/gqlhttp"
)

// Limits on one GraphQL request. A page of users costs first × its selection,
// so the complexity limit is what caps how much one request can read.
const (
	DefaultComplexityLimit = 1000
	DefaultDepthLimit      = 10
	DefaultTokenLimit      = 2000
	loginCost              = 50 // bcrypt: a handful of logins use up a request
	signupCost             = 50
)

// HandlerOptions configures the GraphQL endpoint.
type HandlerOptions struct {
	Introspection bool  // schema introspection and "did you mean" suggestions
	MaxBodyBytes  int64 // POST body limit
	// Operation is told each operation's name, for access logs and metrics.
	Operation func(ctx context.Context, name string)
}

// NewHandler returns the /graphql handler: gqlgen over the resolvers with the
// GraphQL-over-HTTP transport, the error presenter and the request limits.
func NewHandler(r *Resolver, log *slog.Logger, o HandlerOptions) *handler.Server {
	cfg := Config{Resolvers: r}
	cfg.Complexity.Query.Users = func(child int, first *int, _ *string) int {
		n := 20
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + n*child
	}
	cfg.Complexity.Mutation.Login = func(child int, _, _ string) int { return loginCost + child }
	cfg.Complexity.Mutation.CreateUser = func(child int, _ model.CreateUserInput) int { return signupCost + child }

	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(gqlhttp.Transport{MaxBodyBytes: o.MaxBodyBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetErrorPresenter(ErrorPresenter(log))
	srv.SetRecoverFunc(RecoverFunc)
	srv.SetParserTokenLimit(DefaultTokenLimit)
	srv.SetDisableSuggestion(!o.Introspection)
	if o.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(DefaultComplexityLimit))
	srv.Use(depthLimit(DefaultDepthLimit))
	if o.Operation != nil {
		srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
			o.Operation(ctx, graphql.GetOperationContext(ctx).OperationName)
			return next(ctx)
		})
	}
	return srv
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
	if depth(oc.Operation.SelectionSet, 0, int(d)) > int(d) {
		err := gqlerror.Errorf("operation is nested deeper than %d levels", int(d))
		err.Extensions = map[string]any{"code": "QUERY_TOO_DEEP"}
		return err
	}
	return nil
}

// depth returns the nesting depth of set, stopping early once past max (so a
// fragment cycle, which validation rejects anyway, cannot loop forever).
func depth(set ast.SelectionSet, level, limit int) int {
	if level > limit {
		return level
	}
	deepest := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = level + 1
			} else {
				d = depth(s.SelectionSet, level+1, limit)
			}
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, level, limit)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet, level, limit)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
