package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
)

// The untyped layer: events events.yaml does not declare, handled and
// emitted by name with raw arguments, as socket.io does, for apps that
// migrate from socket.io or have events known only at run time. It is
// opt-in: an undeclared event a client sends stays refused with
// unknown_event unless HandleUntyped registered it. docs/UNTYPED.md says
// when to use it, and why the typed API is preferred.

// UntypedEvent is an inbound event that events.yaml does not declare, as
// a handler registered with HandleUntyped gets it.
type UntypedEvent struct {
	Name string
	// Args are the arguments as the client sent them, raw JSON, unchecked.
	// Where the client sent binary data, the argument holds socket.io's
	// placeholder {"_placeholder":true,"num":N} (at any depth) and
	// Attachments[N] holds the bytes.
	Args        []json.RawMessage
	Attachments [][]byte
	// Ack replies to the client's acknowledgement, socket.io style: the
	// client's callback gets args, each encoded with encoding/json, but for
	// []byte arguments, which travel as binary attachments (a BINARY_ACK,
	// decoded as a Buffer or ArrayBuffer). It is nil when the client asked
	// for no ack. Only its first call sends; it may be called after the
	// handler returned. It returns ErrClosed once the socket has ended.
	Ack func(args ...any) error
}

// UntypedHandler handles an UntypedEvent. An error it returns reaches the
// client as for a typed event: an *Error as it is, anything else as code
// internal; as the ack's {"error":…} when the client asked for an ack
// that Ack has not sent, otherwise as ErrorEvent.
type UntypedHandler func(ctx context.Context, c *Conn, ev UntypedEvent) error

// HandleUntyped registers h for the inbound event named event, which
// events.yaml must not declare on s's namespace (a declared event has a
// typed handler: Handle and its variants). Event middleware (Use), OnAny
// and the rate limit apply to it as to typed events. A nil h removes the
// registration.
func HandleUntyped(s *Server, event string, h UntypedHandler) error {
	if err := s.checkUntypedName(event); err != nil {
		return fmt.Errorf("eventwire: handle untyped %q: %w", event, err)
	}
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	if h == nil {
		delete(s.untyped, event)
		return nil
	}
	if s.untyped == nil {
		s.untyped = make(map[string]UntypedHandler)
	}
	s.untyped[event] = h
	return nil
}

// reservedEvents are names socket.io and eventwire use for themselves.
var reservedEvents = map[string]bool{
	"connect": true, "connect_error": true, "disconnect": true, "disconnecting": true,
	"newListener": true, "removeListener": true, ErrorEvent: true,
}

// checkUntypedName refuses a name the schema declares, a reserved one and
// an empty one.
func (s *Server) checkUntypedName(event string) error {
	switch {
	case event == "":
		return errors.New("an event needs a name")
	case reservedEvents[event]:
		return errors.New("the name is reserved")
	case s.events[event] != nil:
		return errors.New("events.yaml declares it: use its typed API")
	}
	return nil
}

func (s *Server) untypedHandler(event string) UntypedHandler {
	s.hooksMu.RLock()
	defer s.hooksMu.RUnlock()
	return s.untyped[event]
}

// untypedCall is what the untyped dispatch needs beyond the InboundEvent:
// the packet's ack id, and its form before the attachments were put in
// place (binary packets), set by onEvent for an undeclared event.
type untypedCall struct {
	id   uint64
	args []json.RawMessage // nil: InboundEvent.Args as they are
	atts [][]byte

	mu    sync.Mutex
	acked bool
}

// handleUntyped runs h for ev, an undeclared event: OnAny observes it,
// then h runs with the event's raw arguments and its Ack.
func (s *Server) handleUntyped(ctx context.Context, c *Conn, ev InboundEvent, h UntypedHandler) error {
	u := ev.untyped
	if u == nil { // event middleware rebuilt the InboundEvent
		u = &untypedCall{}
	}
	args := ev.Args
	if u.args != nil {
		args = u.args
	}
	uev := UntypedEvent{Name: ev.Name, Args: args, Attachments: u.atts}
	if ev.HasAck && ev.untyped != nil {
		uev.Ack = func(reply ...any) error { return s.untypedAck(c, u, reply) }
	}
	s.observe(ctx, c, ev)
	return s.guard("handler", func() error { return h(ctx, c, uev) }, connAttrs(c, ev.Name))
}

// untypedAck sends an untyped handler's ack reply, once.
func (s *Server) untypedAck(c *Conn, u *untypedCall, reply []any) error {
	args, atts, err := encodeUntyped(reply)
	if err != nil {
		return fmt.Errorf("eventwire: untyped ack: %w", err)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.acked {
		return errors.New("eventwire: untyped ack: sent already")
	}
	u.acked = true
	frame := protocol.AppendBinaryAck(nil, s.name, u.id, len(atts), args...)
	return c.write(engineio.Packet{Text: frame, Atts: atts})
}

// replied reports whether the handler's Ack has sent its reply.
func (u *untypedCall) replied() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.acked
}

// encodeUntyped encodes untyped arguments: []byte ones as socket.io's
// placeholders, with their bytes as attachments; the rest with
// encoding/json (HTML characters unescaped, as marshalArgs does).
func encodeUntyped(args []any) (raw, atts [][]byte, err error) {
	var rest []any
	var at []int
	for i, a := range args {
		if b, ok := a.([]byte); ok {
			raw = append(raw, []byte(`{"_placeholder":true,"num":`+strconv.Itoa(len(atts))+`}`))
			atts = append(atts, b)
			continue
		}
		raw = append(raw, nil)
		rest, at = append(rest, a), append(at, i)
	}
	if len(rest) > 0 {
		enc, err := marshalArgs("untyped", rest)
		if err != nil {
			return nil, nil, err
		}
		for j, i := range at {
			raw[i] = enc[j]
		}
	}
	return raw, atts, nil
}

// EmitUntyped sends this socket an event that events.yaml does not
// declare, with any arguments: each encoded with encoding/json, but []byte
// arguments, which travel as binary attachments (a BINARY_EVENT). With
// recovery on it carries its offset and is replayed as typed events are.
// It returns ErrClosed once the socket is ending.
func (c *Conn) EmitUntyped(event string, args ...any) error {
	return c.emitPrepared(c.s.prepareUntyped(event, args))
}

// EmitUntyped emits an event that events.yaml does not declare to the
// operator's sockets, as Emit does a typed one (in a cluster too), with
// arguments as Conn.EmitUntyped takes them.
func (o Operator) EmitUntyped(event string, args ...any) error {
	return o.emit(func(s *Server) (preparedEvent, error) { return s.prepareUntyped(event, args) })
}

// prepareUntyped encodes an untyped emit.
func (s *Server) prepareUntyped(event string, args []any) (preparedEvent, error) {
	if err := s.checkUntypedName(event); err != nil {
		return preparedEvent{}, fmt.Errorf("eventwire: emit untyped %q: %w", event, err)
	}
	raw, atts, err := encodeUntyped(args)
	if err != nil {
		return preparedEvent{}, fmt.Errorf("eventwire: emit untyped %q: %w", event, err)
	}
	return preparedEvent{name: event, args: raw, atts: atts}, nil
}
