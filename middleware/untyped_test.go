package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// untypedHarness serves the test schema with untyped handlers for
// "custom" (records the event, acks with what the test says) and
// "failing" (fails without an ack).
func untypedHarness(t *testing.T, cfg Config) (*harness, chan UntypedEvent) {
	t.Helper()
	h := newHarness(t, cfg)
	got := make(chan UntypedEvent, 10)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(HandleUntyped(h.srv, "custom", func(ctx context.Context, c *Conn, ev UntypedEvent) error {
		got <- ev
		if ev.Ack != nil {
			var reply []any
			for i, a := range ev.Args { // the ack echoes the arguments, bytes as bytes
				var ph struct {
					Placeholder bool `json:"_placeholder"`
					Num         int  `json:"num"`
				}
				if json.Unmarshal(a, &ph) == nil && ph.Placeholder {
					reply = append(reply, ev.Attachments[ph.Num])
				} else {
					reply = append(reply, json.RawMessage(ev.Args[i]))
				}
			}
			return ev.Ack(reply...)
		}
		return nil
	}))
	must(HandleUntyped(h.srv, "failing", func(ctx context.Context, c *Conn, ev UntypedEvent) error {
		return NewError("nope", "not today")
	}))
	return h, got
}

func (c *client) readBinary() []byte {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, msg, err := c.ws.ReadMessage()
	if err != nil || typ != websocket.BinaryMessage {
		c.t.Fatalf("read binary: type %d, %q, %v", typ, msg, err)
	}
	return msg
}

// TestUntypedInbound: an undeclared event with an untyped handler gets its
// raw arguments and binary attachments, and its Ack replies socket.io
// style (`43<id>[a,b,c]`, or a BINARY_ACK when they hold bytes).
func TestUntypedInbound(t *testing.T) {
	h, got := untypedHarness(t, testConfig())
	c, _ := h.connect()

	c.send(`421["custom","a",1,{"b":[true,null]}]`)
	ev := <-got
	if ev.Name != "custom" || len(ev.Args) != 3 || string(ev.Args[2]) != `{"b":[true,null]}` || ev.Attachments != nil {
		t.Errorf("handler got %+v", ev)
	}
	if reply := c.read(); reply != `431["a",1,{"b":[true,null]}]` {
		t.Errorf("ack %q", reply)
	}

	c.sendBinary(`451-2["custom",{"_placeholder":true,"num":0},"x"]`, "\x00\x01\x02\xff")
	ev = <-got
	if string(ev.Args[0]) != `{"_placeholder":true,"num":0}` || len(ev.Attachments) != 1 || string(ev.Attachments[0]) != "\x00\x01\x02\xff" {
		t.Errorf("binary event: handler got %+v", ev)
	}
	if reply := c.read(); reply != `461-2[{"_placeholder":true,"num":0},"x"]` {
		t.Errorf("binary ack %q", reply)
	}
	if b := c.readBinary(); string(b) != "\x00\x01\x02\xff" {
		t.Errorf("binary ack attachment %q", b)
	}

	c.send(`42["custom","no ack"]`) // no ack asked: Ack is nil and nothing is sent
	if ev := <-got; ev.Ack != nil {
		t.Error("Ack set for an event without an ack id")
	}

	c.send(`423["failing"]`)
	if reply := c.read(); !strings.HasPrefix(reply, `433[{"error":{"code":"nope"`) {
		t.Errorf("a failing untyped handler's ack %q", reply)
	}
	c.send(`42["nobody"]`) // undeclared and unregistered: refused as ever
	if reply := c.read(); !strings.Contains(reply, `"code":"unknown_event"`) {
		t.Errorf("an unregistered undeclared event: %q", reply)
	}
}

// TestUntypedEmit: EmitUntyped on a Conn and through operators sends any
// arguments, []byte ones as attachments.
func TestUntypedEmit(t *testing.T) {
	h, _ := untypedHarness(t, testConfig())
	a, conn := h.connect()
	b, _ := h.connect()
	if err := conn.EmitUntyped("news", 1, "two", map[string]bool{"three": true}); err != nil {
		t.Fatal(err)
	}
	if got := a.read(); got != `42["news",1,"two",{"three":true}]` {
		t.Errorf("Conn.EmitUntyped: %q", got)
	}
	if err := h.srv.Broadcast().EmitUntyped("file", "f.bin", []byte("\x00data")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, b} {
		if got := c.read(); got != `451-["file","f.bin",{"_placeholder":true,"num":0}]` {
			t.Errorf("Operator.EmitUntyped with bytes: %q", got)
		}
		if att := c.readBinary(); string(att) != "\x00data" {
			t.Errorf("attachment %q", att)
		}
	}
	if err := conn.Broadcast().EmitUntyped("hello"); err != nil {
		t.Fatal(err)
	}
	if got := b.read(); got != `42["hello"]` {
		t.Errorf("Conn.Broadcast().EmitUntyped: %q", got)
	}
}

// TestUntypedNames: the untyped layer refuses the events events.yaml
// declares, reserved names and an empty one, to register and to emit.
func TestUntypedNames(t *testing.T) {
	h := newHarness(t, testConfig())
	_, conn := h.connect()
	noop := func(context.Context, *Conn, UntypedEvent) error { return nil }
	for _, name := range []string{"browser_to_message", "link", "connect", "disconnect", ErrorEvent, ""} {
		if err := HandleUntyped(h.srv, name, noop); err == nil {
			t.Errorf("HandleUntyped(%q) succeeded", name)
		}
		if err := conn.EmitUntyped(name); err == nil {
			t.Errorf("EmitUntyped(%q) succeeded", name)
		}
	}
}

// TestUntypedGoesThroughTheRuntime: event middleware and OnAny see untyped
// events, the rate limit counts them, and with recovery on an untyped emit
// carries its offset.
func TestUntypedGoesThroughTheRuntime(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 0.001, 2
	cfg.Recovery = true
	h, got := untypedHarness(t, cfg)
	var mu sync.Mutex
	var seen []string
	h.srv.Use(func(next EventHandler) EventHandler {
		return func(ctx context.Context, c *Conn, ev InboundEvent) error {
			mu.Lock()
			seen = append(seen, "use:"+ev.Name)
			mu.Unlock()
			return next(ctx, c, ev)
		}
	})
	h.srv.OnAny(func(ctx context.Context, c *Conn, ev InboundEvent) {
		mu.Lock()
		seen = append(seen, "any:"+ev.Name)
		mu.Unlock()
	})
	c, conn, _ := h.connectWith("")
	c.send(`42["custom",1]`)
	<-got
	c.send(`42["custom",2]`)
	<-got
	c.send(`42["custom",3]`) // over the burst of 2
	if reply := c.read(); !strings.Contains(reply, `"code":"rate_limited"`) {
		t.Errorf("third untyped event: %q, want rate_limited", reply)
	}
	mu.Lock()
	if strings.Join(seen, " ") != "use:custom any:custom use:custom any:custom" {
		t.Errorf("middleware and OnAny saw %v", seen)
	}
	mu.Unlock()
	if err := conn.EmitUntyped("news", "x"); err != nil {
		t.Fatal(err)
	}
	var args []string
	if frame := c.read(); json.Unmarshal([]byte(frame[2:]), &args) != nil || len(args) != 3 || args[1] != "x" || !strings.Contains(args[2], ".") {
		t.Errorf("untyped emit with recovery on: %q, want the offset last", frame)
	}
}

// TestUntypedAckOnce: an untyped handler's Ack sends once; a second call
// fails and sends nothing.
func TestUntypedAckOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	second := make(chan error, 1)
	if err := HandleUntyped(h.srv, "twice", func(ctx context.Context, c *Conn, ev UntypedEvent) error {
		_ = ev.Ack("first")
		second <- ev.Ack("second")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, _ := h.connect()
	c.send(`427["twice"]`)
	if got := c.read(); got != `437["first"]` {
		t.Errorf("ack %q", got)
	}
	if err := <-second; err == nil || errors.Is(err, ErrClosed) {
		t.Errorf("second Ack: %v, want an error saying it was sent", err)
	}
}
