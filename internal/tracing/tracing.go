// Package tracing sends OpenTelemetry traces over OTLP/HTTP when an OTLP
// endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and costs nothing when it is not: the
// service then installs none of these hooks (no middleware, no pgx tracer, no
// bcrypt span), so the request path holds no tracing code at all.
//
// A traced request is one tree: the HTTP server span (named by method and
// route, continuing an incoming W3C traceparent), the GraphQL operation's
// span (its type and name, never its variables or document, which hold
// passwords), a span per SQL query (named by its sqlc query name, never its
// arguments) and a span per bcrypt computation. Spans carry no request
// header, body, query string, error message or row value, so no password,
// token or email reaches a trace.
package tracing

import (
	"context"
	"fmt"
	"runtime/debug"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// scope is the instrumentation scope of every span the service makes.
const scope = "users"

// New returns a tracer provider exporting to the OTLP/HTTP endpoint (a full
// URL, /v1/traces included) under serviceName. The OpenTelemetry SDK reads
// the other standard variables itself from the process environment:
// OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE,
// OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*, OTEL_RESOURCE_ATTRIBUTES. It
// connects lazily: an unreachable collector costs dropped spans (logged by
// the SDK), never a failed request. Shut it down at the end to flush.
func New(ctx context.Context, endpoint, serviceName string) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", serviceName)}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		attrs = append(attrs, attribute.String("service.version", bi.Main.Version))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// Tracer is the service's tracer from tp.
func Tracer(tp trace.TracerProvider) trace.Tracer { return tp.Tracer(scope) }
