// Package tracing traces inbound events with OpenTelemetry: event
// middleware that starts a span for each event a client sends.
//
//	srv.Runtime().Use(tracing.Middleware())
//
// Each span is named after the event and carries its namespace
// (eventwire.namespace), its name (eventwire.event) and the socket id
// (eventwire.socket_id); an event the client gets an error for also carries
// the error's code (eventwire.error_code) and the span's status is Error.
// The span's parent is the trace context of the WebSocket's handshake
// headers (W3C traceparent, with the default propagator) when the client
// sent one, so a page's trace continues into its events. The span is in the
// handler's ctx: trace.SpanFromContext(ctx) in a handler is it, and what
// the handler starts from ctx are its children.
package tracing

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventwire/eventwire/middleware"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/eventwire/eventwire/middleware/tracing"

// The span attributes.
const (
	AttrNamespace = attribute.Key("eventwire.namespace")
	AttrEvent     = attribute.Key("eventwire.event")
	AttrSocketID  = attribute.Key("eventwire.socket_id")
	AttrErrorCode = attribute.Key("eventwire.error_code")
)

type config struct {
	tp   trace.TracerProvider
	prop propagation.TextMapPropagator
}

// Option configures Middleware.
type Option func(*config)

// WithTracerProvider sets the provider of the tracer; default
// otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithPropagator sets how the handshake headers carry the parent trace
// context; default otel.GetTextMapPropagator().
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.prop = p }
}

// Middleware returns the event middleware; add it with Server.Use, first
// (outermost) so that the span covers the other middleware too.
func Middleware(opts ...Option) func(middleware.EventHandler) middleware.EventHandler {
	cfg := config{tp: otel.GetTracerProvider(), prop: otel.GetTextMapPropagator()}
	for _, o := range opts {
		o(&cfg)
	}
	tracer := cfg.tp.Tracer(ScopeName)
	return func(next middleware.EventHandler) middleware.EventHandler {
		return func(ctx context.Context, c *middleware.Conn, ev middleware.InboundEvent) error {
			parent := cfg.prop.Extract(ctx, propagation.HeaderCarrier(c.Request().Header))
			ctx, span := tracer.Start(parent, ev.Name,
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(AttrNamespace.String(c.Namespace()), AttrEvent.String(ev.Name),
					AttrSocketID.String(c.ID())))
			defer span.End()
			err := next(ctx, c, ev)
			if err != nil {
				code := "internal" // what the client gets for an error that is not an *Error
				var e *middleware.Error
				if errors.As(err, &e) && e != nil {
					code = e.Code
				}
				span.SetAttributes(AttrErrorCode.String(code))
				span.SetStatus(codes.Error, code)
			}
			return err
		}
	}
}
