package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder collects what middleware, OnAny and handlers saw, in order.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}

// take returns the lines so far and forgets them.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.lines
	r.lines = nil
	return out
}

type ctxKey struct{}

func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "plain"
	}
	return "ok"
}

// newMiddlewareHarness serves the test schema with two event middleware,
// an OnAny observer and handlers that record what they see.
func newMiddlewareHarness(t *testing.T) (*harness, *recorder) {
	t.Helper()
	h := newBareHarness(t, testConfig())
	rec := &recorder{}
	h.srv.Use(func(next EventHandler) EventHandler {
		return func(ctx context.Context, c *Conn, ev InboundEvent) error {
			rec.add("outer " + ev.Name)
			err := next(context.WithValue(ctx, ctxKey{}, "from outer"), c, ev)
			rec.add("outer saw " + errCode(err))
			return err
		}
	}, nil, func(next EventHandler) EventHandler {
		return func(ctx context.Context, c *Conn, ev InboundEvent) error {
			if ev.Name == "act" && len(ev.Args) == 1 {
				switch string(ev.Args[0]) {
				case `"blocked"`:
					return NewError("forbidden", "not here")
				case `"mw-plain"`:
					return errors.New("middleware failed: hunter2")
				case `"mw-panic"`:
					panic("middleware bug")
				}
			}
			return next(ctx, c, ev)
		}
	})
	h.srv.OnAny(func(ctx context.Context, c *Conn, ev InboundEvent) {
		line := "any " + ev.Name + " " + strings.Join(rawStrings(ev.Args), ",")
		if ev.HasAck {
			line += " ack"
		}
		rec.add(line)
		if ev.Name == "nudge" {
			panic("observer bug")
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(HandleAck(h.srv, "join_room", func(ctx context.Context, c *Conn, m joinRoom) (joinRoomAck, error) {
		rec.add("handler join_room " + ctx.Value(ctxKey{}).(string))
		return joinRoomAck{Room: m.Room, Size: 1}, nil
	}))
	must(Handle(h.srv, "act", func(ctx context.Context, c *Conn, what string) error {
		rec.add("handler act")
		if what == "coded" {
			return NewError("conflict", "taken")
		}
		return nil
	}))
	must(HandleEmpty(h.srv, "nudge", func(ctx context.Context, c *Conn) error {
		rec.add("handler nudge")
		return nil
	}))
	return h, rec
}

func rawStrings(args []json.RawMessage) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func TestUseAndOnAny(t *testing.T) {
	h, rec := newMiddlewareHarness(t)
	c, _ := h.connect()
	tests := []struct {
		name  string
		event string
		args  []string
		reply string   // the ack argument
		seen  []string // what the recorder got, in order
	}{
		{"accepted, with a reply and a context value", "join_room", []string{`{"room":"r"}`}, `{"data":{"room":"r","size":1}}`,
			[]string{"outer join_room", `any join_room {"room":"r"} ack`, "handler join_room from outer", "outer saw ok"}},
		{"refused by Use with its code", "act", []string{`"blocked"`}, `{"error":{"code":"forbidden","message":"not here"}}`,
			[]string{"outer act", "outer saw forbidden"}},
		{"plain error from Use", "act", []string{`"mw-plain"`}, `{"error":{"code":"internal","message":"internal error"}}`,
			[]string{"outer act", "outer saw plain"}},
		{"panic in Use", "act", []string{`"mw-panic"`}, `{"error":{"code":"internal","message":"internal error"}}`,
			[]string{"outer act"}},
		{"handler error: OnAny saw the event", "act", []string{`"coded"`}, `{"error":{"code":"conflict","message":"taken"}}`,
			[]string{"outer act", `any act "coded" ack`, "handler act", "outer saw conflict"}},
		{"unknown event: middleware sees the error", "nope", nil, `{"error":{"code":"unknown_event","message":"unknown event"}}`,
			[]string{"outer nope", "outer saw unknown_event"}},
		{"invalid payload: OnAny does not see it", "join_room", []string{`{"room":1}`},
			`{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"room","rule":"type","param":"string","message":"room must be of type string"}]}}`,
			[]string{"outer join_room", "outer saw invalid_payload"}},
		{"a panicking observer does not stop the handler", "nudge", nil, `{"data":null}`,
			[]string{"outer nudge", "any nudge  ack", "handler nudge", "outer saw ok"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.emitAck(tc.event, tc.args...); got != tc.reply {
				t.Errorf("ack %s\nwant %s", got, tc.reply)
			}
			if got := rec.take(); !slices.Equal(got, tc.seen) {
				t.Errorf("seen %q\nwant %q", got, tc.seen)
			}
		})
	}
	t.Run("refused by Use without ack id", func(t *testing.T) {
		c.send(`42["act","blocked"]`)
		args := c.readEvent(ErrorEvent)
		jsonEqual(t, string(args[0]), `{"event":"act","code":"forbidden","message":"not here"}`)
		rec.take()
	})
	logs := h.logs.String()
	for _, want := range []string{"middleware failed: hunter2", "middleware bug", "observer bug"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestUseNilHandlerPanics(t *testing.T) {
	srv, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "returned a nil EventHandler") {
			t.Errorf("recovered %v", r)
		}
	}()
	srv.Use(func(EventHandler) EventHandler { return nil })
}
