package tracing_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/tracing"
)

// TestSpans sends a valid event, an invalid one and one the handler
// refuses, from a client whose handshake carried a W3C traceparent: each
// is a span of that trace with the namespace, event and socket id, the
// failed ones with their error code, and the handler's ctx holds its span.
func TestSpans(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	str := &middleware.Shape{Kind: middleware.KindString}
	srv, err := middleware.New(middleware.Schema{Events: []middleware.Event{
		{Name: "say", ClientSends: true, Payload: str, Tag: "min=1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.Use(tracing.Middleware(tracing.WithTracerProvider(tp), tracing.WithPropagator(propagation.TraceContext{})))
	inHandler := make(chan trace.SpanContext, 3)
	err = middleware.Handle(srv, "say", func(ctx context.Context, c *middleware.Conn, line string) error {
		inHandler <- trace.SpanContextFromContext(ctx)
		if line == "forbidden" {
			return middleware.NewError("forbidden", "not that")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	header := http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}
	cl := eventwiretest.NewServer(t, srv).Dial(t, eventwiretest.WithHeader(header))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, line := range []string{"hello", "", "forbidden"} {
		if _, err := cl.EmitWithAck(ctx, "say", line); err != nil {
			t.Fatal(err)
		}
	}

	spans := exporter.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	wantCodes := []string{"", "invalid_payload", "forbidden"}
	for i, s := range spans {
		if s.Name != "say" || s.SpanKind != trace.SpanKindServer {
			t.Errorf("span %d: %q kind %v, want say, server", i, s.Name, s.SpanKind)
		}
		if got := s.SpanContext.TraceID().String(); got != traceID {
			t.Errorf("span %d: trace %s, want the handshake's %s", i, got, traceID)
		}
		if got := s.Parent.SpanID().String(); got != parentID || !s.Parent.IsRemote() {
			t.Errorf("span %d: parent %s (remote %v), want the handshake's %s", i, got, s.Parent.IsRemote(), parentID)
		}
		attrs := map[attribute.Key]string{}
		for _, a := range s.Attributes {
			attrs[a.Key] = a.Value.AsString()
		}
		want := map[attribute.Key]string{tracing.AttrNamespace: "/", tracing.AttrEvent: "say", tracing.AttrSocketID: cl.ID()}
		if wantCodes[i] != "" {
			want[tracing.AttrErrorCode] = wantCodes[i]
		}
		if len(attrs) != len(want) {
			t.Errorf("span %d: attributes %v, want %v", i, attrs, want)
		}
		for k, v := range want {
			if attrs[k] != v {
				t.Errorf("span %d: %s = %q, want %q", i, k, attrs[k], v)
			}
		}
		wantStatus := codes.Unset
		if wantCodes[i] != "" {
			wantStatus = codes.Error
		}
		if s.Status.Code != wantStatus {
			t.Errorf("span %d: status %v, want %v", i, s.Status.Code, wantStatus)
		}
	}
	// The invalid event never reached the handler; the other two saw their span.
	for _, i := range []int{0, 2} {
		if got := <-inHandler; got.SpanID() != spans[i].SpanContext.SpanID() {
			t.Errorf("the handler's ctx holds span %s, want %s", got.SpanID(), spans[i].SpanContext.SpanID())
		}
	}
}

// TestNoParent starts a new trace when the handshake carried none.
func TestNoParent(t *testing.T) {
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	srv, err := middleware.New(middleware.Schema{Events: []middleware.Event{{Name: "ping", ClientSends: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.Use(tracing.Middleware(tracing.WithTracerProvider(tp)))
	if err := middleware.HandleEmpty(srv, "ping", func(context.Context, *middleware.Conn) error { return nil }); err != nil {
		t.Fatal(err)
	}
	cl := eventwiretest.NewServer(t, srv).Dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cl.EmitWithAck(ctx, "ping"); err != nil {
		t.Fatal(err)
	}
	spans := exporter.GetSpans()
	if len(spans) != 1 || spans[0].Parent.IsValid() || !spans[0].SpanContext.IsValid() {
		t.Fatalf("spans %+v, want one root span", spans)
	}
}
