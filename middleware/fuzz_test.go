package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"
)

// FuzzPayload drives the typed payload decoding of an inbound event: the
// Shape check, json decoding into the handler's type and validator/v10. For
// the events with several arguments (move, draw of argsSchema) the fuzzed
// payload is the JSON array of the arguments, checked for arity and shape
// and decoded with DecodeArg one by one. It
// must never panic, every detail must name a rule of the error model, and a
// payload that passes the Shape check must decode: a decode failure there
// would reach the client as "internal" instead of "invalid_payload".
func FuzzPayload(f *testing.F) {
	srv, err := New(testSchema(), WithConfig(testConfig()), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	called := 0
	count := func() { called++ }
	mustRegister(f, Handle(srv, "browser_to_message", func(context.Context, *Conn, browserToMessage) error { count(); return nil }))
	mustRegister(f, Handle(srv, "profile", func(context.Context, *Conn, profile) error { count(); return nil }))
	mustRegister(f, Handle(srv, "echo", func(context.Context, *Conn, string) error { count(); return nil }))
	mustRegister(f, Handle(srv, "numbers", func(context.Context, *Conn, []int64) error { count(); return nil }))
	mustRegister(f, Handle(srv, "status", func(context.Context, *Conn, status) error { count(); return nil }))
	mustRegister(f, Handle(srv, "when", func(context.Context, *Conn, time.Time) error { count(); return nil }))
	multi := fuzzArgsServer(f, count)

	for _, seed := range []struct{ event, payload string }{
		{"browser_to_message", `{"messageText":"hi"}`},
		{"browser_to_message", `{"messageText":""}`},
		{"browser_to_message", `{"messageText":"a","messageText":"b"}`},
		{"profile", `{"age":30,"role":"admin","nickname":"bob","email":"a@b.co","tags":["x"],"score":1.5,"address":{"city":"Oslo"},"items":[{"name":"ab"}]}`},
		{"profile", `{"age":1e3,"role":"user","tags":[],"items":[{"name":null}]}`},
		{"profile", `{"age":99999999999999999999,"role":"user"}`},
		{"echo", `"\ud800"`},
		{"numbers", `[1,-1,2.0]`},
		{"numbers", `[[[[[]]]]]`},
		{"move", `[1,2,"ab"]`},
		{"move", `[1]`},
		{"move", `[1,2,null,4]`},
		{"draw", `[{"color":"red"},["ab"]]`},
		{"draw", `[{"color":"RED","x":1},[1,null]]`},
		{"status", `{"at":"2026-12-08T00:10:10.5+01:00","meta":{"a":[null]},"log":["2024-02-29T00:00:00Z"],"bag":[null,1]}`},
		{"status", `{"at":"2026-02-29T00:00:00Z","meta":null,"until":"2026-12-08t00:10:10z"}`},
		{"when", `"2026-12-08T00:10:10Z"`},
		{"when", `"2026-12-08T00:10:10+01:00"`},
	} {
		f.Add(seed.event, []byte(seed.payload))
	}
	f.Fuzz(func(t *testing.T, event string, payload []byte) {
		e, args := srv.events[event], []json.RawMessage{payload}
		if e == nil {
			e = multi.events[event]
			if e == nil || json.Unmarshal(payload, &args) != nil {
				return // the protocol layer splits a frame's arguments into an array
			}
		}
		if e == nil || !e.ClientSends || (e.Payload == nil && e.Args == nil) || !json.Valid(payload) {
			return // the protocol layer and dispatch refuse these before decoding
		}
		if ds := checkInbound(&e.Event, args); len(ds) > 0 {
			checkDetails(t, ds)
			return
		}
		before := called
		ev := InboundEvent{Name: event, Args: args}
		_, err := e.getHandler()(context.Background(), nil, ev)
		var we *Error
		switch {
		case err == nil:
			if called != before+1 {
				t.Fatalf("%s %s: accepted but the handler did not run", event, payload)
			}
		case errors.As(err, &we) && we.Code == "invalid_payload":
			checkDetails(t, we.Details)
			if called != before {
				t.Fatalf("%s %s: refused, yet the handler ran", event, payload)
			}
		default:
			t.Fatalf("%s %s: passed the shape check, then failed with %v", event, payload, err)
		}
	})
}

// fuzzArgsServer serves argsSchema with handlers that decode every
// argument as generated code does and call count when all are valid.
func fuzzArgsServer(f *testing.F, count func()) *Server {
	f.Helper()
	srv, err := New(argsSchema(), WithConfig(testConfig()), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	mustRegister(f, HandleArgs(srv, "move", func(ctx context.Context, _ *Conn, args []json.RawMessage) (func() error, error) {
		if _, err := DecodeArg[int64](ctx, srv, "move", 0, args[0]); err != nil {
			return nil, err
		}
		if _, err := DecodeArg[int64](ctx, srv, "move", 1, args[1]); err != nil {
			return nil, err
		}
		if _, err := DecodeArg[*string](ctx, srv, "move", 2, args[2]); err != nil {
			return nil, err
		}
		return func() error { count(); return nil }, nil
	}))
	mustRegister(f, HandleArgsAck(srv, "draw", func(ctx context.Context, _ *Conn, args []json.RawMessage) (func() (int64, error), error) {
		if _, err := DecodeArg[argsStyle](ctx, srv, "draw", 0, args[0]); err != nil {
			return nil, err
		}
		if _, err := DecodeArg[[]string](ctx, srv, "draw", 1, args[1]); err != nil {
			return nil, err
		}
		return func() (int64, error) { count(); return 0, nil }, nil
	}))
	return srv
}

func mustRegister(f *testing.F, err error) {
	f.Helper()
	if err != nil {
		f.Fatal(err)
	}
}

func checkDetails(t *testing.T, ds []Detail) {
	t.Helper()
	rules := map[string]bool{"required": true, "type": true, "unknown": true, "minLength": true, "maxLength": true,
		"min": true, "max": true, "minItems": true, "maxItems": true, "pattern": true, "enum": true, "format": true}
	if len(ds) > maxDetails {
		t.Fatalf("%d details, more than the cap of %d", len(ds), maxDetails)
	}
	for _, d := range ds {
		if !rules[d.Rule] || d.Message == "" {
			t.Fatalf("detail %+v: unknown rule or empty message", d)
		}
	}
}
