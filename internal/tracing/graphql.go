package tracing

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQL returns a gqlgen response middleware (handler.AroundResponses)
// that makes one span per GraphQL operation, named "query Me" (the
// operation's type and name, as OpenTelemetry's GraphQL conventions say),
// around its execution. name returns the operation's name (graph.
// OperationName: bounded, a GraphQL name or ""). The span never holds the
// document or the variables (passwords travel in them); a response with
// errors is marked as an error.
func GraphQL(tp trace.TracerProvider, name func(context.Context) string) graphql.ResponseMiddleware {
	tracer := Tracer(tp)
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		op, typ := name(ctx), ""
		if graphql.HasOperationContext(ctx) {
			if oc := graphql.GetOperationContext(ctx); oc.Operation != nil {
				typ = string(oc.Operation.Operation)
			}
		}
		spanName := "GraphQL operation"
		if typ != "" {
			spanName = typ
			if op != "" {
				spanName += " " + op
			}
		}
		ctx, span := tracer.Start(ctx, spanName, trace.WithAttributes(
			attribute.String("graphql.operation.name", op),
			attribute.String("graphql.operation.type", typ),
		))
		defer span.End()
		resp := next(ctx)
		if resp != nil && len(resp.Errors) > 0 {
			span.SetStatus(codes.Error, "the response carries errors")
		}
		return resp
	}
}
