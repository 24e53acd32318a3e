package middleware

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

type joinRoom struct {
	Room string `json:"room" validate:"min=1"`
}

type joinRoomAck struct {
	Room string `json:"room"`
	Size int64  `json:"size"`
}

type askAck struct {
	Answer int64   `json:"answer" validate:"min=0,max=10"`
	Note   *string `json:"note,omitempty" validate:"omitempty,max=5"`
}

// failingReply is a reply encoding/json cannot encode.
type failingReply struct{}

func (failingReply) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot encode") }

// registerAcks registers the handlers of the test schema's ack events.
func (h *harness) registerAcks() {
	t := h.t
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(HandleAck(h.srv, "join_room", func(ctx context.Context, c *Conn, m joinRoom) (joinRoomAck, error) {
		if m.Room == "secret" {
			return joinRoomAck{}, NewError("not_member", "members only")
		}
		c.Join(m.Room)
		return joinRoomAck{Room: m.Room, Size: int64(len(h.srv.RoomMembers(m.Room)))}, nil
	}))
	must(HandleEmptyAck(h.srv, "whoami", func(ctx context.Context, c *Conn) (string, error) { return c.ID(), nil }))
	must(HandleAck(h.srv, "shout", func(ctx context.Context, c *Conn, s string) (string, error) {
		return "<b>" + s + "</b>&", nil
	}))
	must(HandleEmptyAck(h.srv, "broken_reply", func(ctx context.Context, c *Conn) (failingReply, error) {
		return failingReply{}, nil
	}))
}

func TestHandleAckReplies(t *testing.T) {
	h := newHarness(t, testConfig())
	h.registerAcks()
	c, _ := h.connect()
	tests := []struct {
		name  string
		event string
		args  []string
		want  string // the exact ack argument
	}{
		{"object reply", "join_room", []string{`{"room":"lobby"}`}, `{"data":{"room":"lobby","size":1}}`},
		{"handler error", "join_room", []string{`{"room":"secret"}`}, `{"error":{"code":"not_member","message":"members only"}}`},
		{"invalid payload", "join_room", []string{`{"room":""}`}, `{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"room","rule":"minLength","param":"1","message":"room must be at least 1 characters"}]}}`},
		{"no payload, scalar reply", "whoami", nil, `{"data":"` + c.id + `"}`},
		{"HTML is not escaped", "shout", []string{`"hi"`}, `{"data":"<b>hi</b>&"}`},
		{"reply that does not encode", "broken_reply", nil, `{"error":{"code":"internal","message":"internal error"}}`},
		{"event without ack type", "nudge", nil, `{"data":null}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.emitAck(tc.event, tc.args...); got != tc.want {
				t.Errorf("ack %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("no ack id, no reply", func(t *testing.T) {
		c.send(`42["join_room",{"room":"hall"}]`)
		// The next frame is the reply to the next event: the first got none.
		if got := c.emitAck("join_room", `{"room":"hall"}`); got != `{"data":{"room":"hall","size":1}}` {
			t.Errorf("ack %s", got)
		}
	})
	if logs := h.logs.String(); !strings.Contains(logs, "cannot encode") {
		t.Errorf("the encoding failure is not logged:\n%s", logs)
	}
}

func TestHandleAckRegistration(t *testing.T) {
	srv, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tests := []struct {
		name     string
		register func() error
		want     string
	}{
		{"Handle on an ack event", func() error {
			return Handle(srv, "join_room", func(context.Context, *Conn, joinRoom) error { return nil })
		}, "declares an ack; use HandleAck"},
		{"HandleEmpty on an ack event", func() error {
			return HandleEmpty(srv, "whoami", func(context.Context, *Conn) error { return nil })
		}, "declares an ack; use HandleEmptyAck"},
		{"HandleAck without ack", func() error {
			return HandleAck(srv, "echo", func(context.Context, *Conn, string) (string, error) { return "", nil })
		}, "declares no ack; use Handle"},
		{"HandleEmptyAck without ack", func() error {
			return HandleEmptyAck(srv, "nudge", func(context.Context, *Conn) (string, error) { return "", nil })
		}, "declares no ack; use HandleEmpty"},
		{"HandleEmptyAck with payload", func() error {
			return HandleEmptyAck(srv, "shout", func(context.Context, *Conn) (string, error) { return "", nil })
		}, "has a payload; use HandleAck"},
		{"reply type mismatch", func() error {
			return HandleAck(srv, "join_room", func(context.Context, *Conn, joinRoom) (string, error) { return "", nil })
		}, "reply type string cannot hold a JSON object"},
		{"nil handler", func() error {
			return HandleAck[joinRoom, joinRoomAck](srv, "join_room", nil)
		}, "nil handler"},
		{"server-only event", func() error {
			return HandleAck(srv, "ask", func(context.Context, *Conn, string) (askAck, error) { return askAck{}, nil })
		}, "clients may not send"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.register()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "eventwire: ") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

type ackResult[R any] struct {
	v   R
	err error
}

// emitAsync runs EmitWithAck on its own goroutine, as a handler would.
func emitAsync[R any](ctx context.Context, c *Conn, event string, args ...any) <-chan ackResult[R] {
	out := make(chan ackResult[R], 1)
	go func() {
		v, err := EmitWithAck[R](ctx, c, event, args...)
		out <- ackResult[R]{v, err}
	}()
	return out
}

func waitAck[R any](t *testing.T, ch <-chan ackResult[R]) ackResult[R] {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("EmitWithAck did not return")
	}
	return ackResult[R]{}
}

func TestEmitWithAckReplies(t *testing.T) {
	h := newHarness(t, testConfig())
	c, conn := h.connect()
	note := "ok"
	invalidReply := func(ds ...Detail) *Error { return errInvalidReply(ds) }
	notObject := invalidReply(newDetail("", "type", "object"))
	tests := []struct {
		name  string
		reply string // the client's ACK arguments
		want  askAck
		err   *Error
	}{
		{"data", `[{"data":{"answer":7,"note":"ok"}}]`, askAck{Answer: 7, Note: &note}, nil},
		{"error reply", `[{"error":{"code":"busy","message":"later","details":[{"field":"x","rule":"required","message":"x is required"}]}}]`,
			askAck{}, &Error{Code: "busy", Message: "later", Details: []Detail{{Field: "x", Rule: "required", Message: "x is required"}}}},
		{"data of the wrong type", `[{"data":{"answer":"7"}}]`, askAck{}, invalidReply(newDetail("answer", "type", "integer"))},
		{"data breaking a rule", `[{"data":{"answer":11,"note":"too long"}}]`, askAck{},
			invalidReply(newDetail("answer", "max", "10"), newDetail("note", "maxLength", "5"))},
		{"null data", `[{"data":null}]`, askAck{}, invalidReply(newDetail("", "required", ""))},
		{"neither data nor error", `[{}]`, askAck{}, invalidReply(newDetail("data", "required", ""))},
		{"both data and error", `[{"data":{"answer":1},"error":{"code":"x","message":"y"}}]`, askAck{},
			invalidReply(Detail{Field: "", Rule: "type", Param: "object", Message: `payload must hold "data" or "error", not both`})},
		{"unknown key", `[{"data":{"answer":1},"extra":1}]`, askAck{}, invalidReply(newDetail("extra", "unknown", ""))},
		{"not an object", `["yes"]`, askAck{}, notObject},
		{"no argument", `[]`, askAck{}, notObject},
		{"two arguments", `[{"data":{"answer":1}},2]`, askAck{}, notObject},
		{"malformed error", `[{"error":{"code":5}}]`, askAck{},
			invalidReply(newDetail("error.code", "type", "string"), newDetail("error.message", "required", ""))},
		{"empty error code", `[{"error":{"code":"","message":""}}]`, askAck{}, invalidReply(newDetail("error.code", "minLength", "1"))},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := emitAsync[askAck](context.Background(), conn, "ask", "why?")
			// Ack ids count up from 0 on each connection.
			if got, want := c.read(), fmt.Sprintf(`42%d["ask","why?"]`, i); got != want {
				t.Fatalf("frame %s, want %s", got, want)
			}
			c.send(fmt.Sprintf("43%d%s", i, tc.reply))
			r := waitAck(t, done)
			if tc.err == nil {
				if r.err != nil || !reflect.DeepEqual(r.v, tc.want) {
					t.Errorf("got %+v, %v; want %+v", r.v, r.err, tc.want)
				}
				return
			}
			var e *Error
			if !errors.As(r.err, &e) || !reflect.DeepEqual(e, tc.err) {
				t.Errorf("error %#v\nwant %#v", r.err, tc.err)
			}
		})
	}
}

func TestEmitWithAckScalar(t *testing.T) {
	h := newHarness(t, testConfig())
	c, conn := h.connect()
	for i, tc := range []struct {
		reply string
		want  int64
		err   string
	}{
		{`[{"data":3}]`, 3, ""},
		{`[{"data":-1}]`, 0, "payload must be at least 0"}, // AckTag min=0
		{`[{"data":1.5}]`, 0, "payload must be of type integer"},
	} {
		done := emitAsync[int64](context.Background(), conn, "count")
		if got, want := c.read(), fmt.Sprintf(`42%d["count"]`, i); got != want {
			t.Fatalf("frame %s, want %s", got, want)
		}
		c.send(fmt.Sprintf("43%d%s", i, tc.reply))
		r := waitAck(t, done)
		switch {
		case tc.err == "" && (r.err != nil || r.v != tc.want):
			t.Errorf("reply %s: got %d, %v", tc.reply, r.v, r.err)
		case tc.err != "" && (r.err == nil || !strings.Contains(r.err.Error(), tc.err)):
			t.Errorf("reply %s: error %v, want %q", tc.reply, r.err, tc.err)
		}
	}
}

func TestEmitWithAckRefused(t *testing.T) {
	h := newHarness(t, testConfig())
	_, conn := h.connect()
	tests := []struct {
		name string
		emit func() error
		is   error
		want string
	}{
		{"unknown event", func() error { _, err := EmitWithAck[int](context.Background(), conn, "nope"); return err }, ErrUnknownEvent, "nope"},
		{"client-only event", func() error {
			_, err := EmitWithAck[joinRoomAck](context.Background(), conn, "join_room", joinRoom{"x"})
			return err
		}, ErrNotAllowed, "join_room"},
		{"event without ack", func() error { _, err := EmitWithAck[string](context.Background(), conn, "link", "x"); return err }, nil, "declares no ack; use Emit"},
		{"reply type mismatch", func() error { _, err := EmitWithAck[string](context.Background(), conn, "ask", "q"); return err }, nil, "cannot hold a JSON object"},
		{"wrong argument count", func() error { _, err := EmitWithAck[askAck](context.Background(), conn, "ask"); return err }, nil, "takes 1 argument(s), got 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.emit()
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEmitWithAckTimeout(t *testing.T) {
	h := newHarness(t, testConfig())
	c, conn := h.connect()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := waitAck(t, emitAsync[askAck](ctx, conn, "ask", "q"))
	if !errors.Is(r.err, ErrAckTimeout) || !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want ErrAckTimeout wrapping DeadlineExceeded", r.err)
	}
	c.read() // 420["ask","q"]
	// The late reply finds no one waiting: ignored, logged at debug.
	c.send(`430[{"data":{"answer":1}}]`)
	c.send(`4399[{"data":{"answer":1}}]`) // never sent
	jsonEqual(t, c.emitAck("nudge"), `{"data":null}`)
	if n := h.srv.strayAcks.Load(); n != 2 {
		t.Errorf("%d stray acks counted, want 2", n)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "ack for no waiting emit ignored") {
		t.Errorf("stray ack not logged:\n%s", logs)
	}
	// A context that is already done sends nothing.
	r = waitAck(t, emitAsync[askAck](ctx, conn, "ask", "q"))
	if !errors.Is(r.err, ErrAckTimeout) {
		t.Errorf("done context: %v", r.err)
	}
	jsonEqual(t, c.emitAck("nudge"), `{"data":null}`) // the next frame is this ack, not an "ask"
}

func TestEmitWithAckDisconnect(t *testing.T) {
	tests := []struct {
		name string
		end  func(c *client, conn *Conn)
	}{
		{"client leaves", func(c *client, _ *Conn) { c.send("41") }},
		{"client drops the TCP connection", func(c *client, _ *Conn) { _ = c.ws.NetConn().Close() }},
		{"server closes the conn", func(_ *client, conn *Conn) { _ = conn.Close() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			c, conn := h.connect()
			var waits []<-chan ackResult[askAck]
			for range 3 {
				waits = append(waits, emitAsync[askAck](context.Background(), conn, "ask", "q"))
				c.read() // wait until the emit is out, so it is pending
			}
			tc.end(c, conn)
			for _, w := range waits {
				if r := waitAck(t, w); !errors.Is(r.err, ErrDisconnected) {
					t.Errorf("error %v, want ErrDisconnected", r.err)
				}
			}
			h.waitGone(t)
			if _, err := EmitWithAck[askAck](context.Background(), conn, "ask", "q"); !errors.Is(err, ErrDisconnected) {
				t.Errorf("after the end: %v, want ErrDisconnected", err)
			}
		})
	}
}
