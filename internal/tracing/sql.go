package tracing

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// PGX returns a pgx query tracer (pgx.ConnConfig.Tracer) that makes one span
// per query run while serving a traced request, named by the sqlc query name
// ("GetUserByEmail", from the "-- name: GetUserByEmail :one" line sqlc puts
// first in the SQL), else by the statement's first word. Queries outside a
// request (migrations, the session cache's probes) make no span. A span
// holds no argument and no error message (PostgreSQL's may quote a value):
// a failed query is marked with its SQLSTATE only.
func PGX(tp trace.TracerProvider) pgx.QueryTracer {
	return sqlTracer{tracer: Tracer(tp)}
}

type sqlTracer struct{ tracer trace.Tracer }

type sqlSpanKey struct{}

func (t sqlTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	name := QueryName(data.SQL)
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("db.system.name", "postgresql"),
		attribute.String("db.operation.name", name),
		attribute.String("db.namespace", conn.Config().Database),
	))
	return context.WithValue(ctx, sqlSpanKey{}, span)
}

func (t sqlTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span, ok := ctx.Value(sqlSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	defer span.End()
	if data.Err == nil {
		return
	}
	var pgErr *pgconn.PgError
	switch {
	case errors.As(data.Err, &pgErr):
		span.SetAttributes(attribute.String("db.response.status_code", pgErr.Code))
		span.SetStatus(codes.Error, "SQLSTATE "+pgErr.Code)
	case errors.Is(data.Err, context.Canceled), errors.Is(data.Err, context.DeadlineExceeded):
		span.SetStatus(codes.Error, "canceled")
	default:
		span.SetStatus(codes.Error, "query failed")
	}
}

// QueryName is the sqlc name of a query ("-- name: GetUser :one" first),
// else its first word in upper case ("SELECT"), else "SQL".
func QueryName(sql string) string {
	sql = strings.TrimLeft(sql, " \t\r\n")
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		if name, _, ok := strings.Cut(rest, " "); ok && name != "" {
			return name
		}
	}
	fields := strings.Fields(sql)
	if len(fields) == 0 || strings.HasPrefix(fields[0], "--") || len(fields[0]) > 20 {
		return "SQL"
	}
	return strings.ToUpper(fields[0])
}
