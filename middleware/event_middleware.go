package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// InboundEvent is an event a client sent, as event middleware and OnAny see
// it: decoded from the wire but not yet looked up or validated (Args are the
// raw JSON arguments after the name; HasAck: the client asked for a reply).
type InboundEvent struct {
	Name   string
	Args   []json.RawMessage
	HasAck bool

	untyped *untypedCall // for an undeclared event with an untyped handler
}

// EventHandler handles one inbound event; event middleware wraps one.
type EventHandler func(ctx context.Context, c *Conn, ev InboundEvent) error

// Use adds event middleware (like socket.io's socket.use) around every
// inbound event, outermost first, for logging, metrics or authorization. A
// middleware runs after the frame is decoded and before the event is looked
// up, checked and handled; it calls next to go on, on its own goroutine and
// before it returns (a handler's ack reply is collected when the chain
// returns). Returning an error instead refuses the event: the client gets
// it as an ack error or as ErrorEvent, an *Error as it is (say
// NewError("forbidden", "...")), any other error as code "internal". The
// error of a later stage (an invalid payload, a handler's error) comes back
// through next, so a middleware can count it. A context derived from ctx
// reaches the handler, so middleware may add values to it.
//
// Each middleware is called once here, to build the chain; Use panics if
// one returns a nil EventHandler. Register middleware before serving.
func (s *Server) Use(mw ...func(next EventHandler) EventHandler) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	for _, m := range mw {
		if m != nil {
			s.middlewares = append(s.middlewares, m)
		}
	}
	chain := EventHandler(s.handleEvent)
	for i := len(s.middlewares) - 1; i >= 0; i-- {
		chain = s.middlewares[i](chain)
		if chain == nil {
			panic(fmt.Sprintf("eventwire: Use: event middleware %d returned a nil EventHandler", i))
		}
	}
	s.chain = chain
}

// OnAny sets the function that observes every inbound event that passed
// validation: it runs on the connection's read loop right after the
// payload was checked and decoded and right before the event's handler, so
// it sees the events handlers see, whatever the handler then returns.
// Events refused earlier (unknown, not allowed, invalid, refused by Use)
// never reach it; event middleware sees those. A panic in fn is logged and
// the handler still runs.
func (s *Server) OnAny(fn func(ctx context.Context, c *Conn, ev InboundEvent)) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.onAny = fn
}

// observe calls the OnAny function, if any, for an event about to be handled.
func (s *Server) observe(ctx context.Context, c *Conn, ev InboundEvent) {
	s.hooksMu.RLock()
	fn := s.onAny
	s.hooksMu.RUnlock()
	if fn == nil {
		return
	}
	_ = s.guard("OnAny", func() error { fn(ctx, c, ev); return nil }, connAttrs(c, ev.Name))
}

func (s *Server) eventChain() EventHandler {
	s.hooksMu.RLock()
	defer s.hooksMu.RUnlock()
	return s.chain
}

// replySlot carries an ack handler's encoded reply from the innermost
// EventHandler back out of the middleware chain, whose signature has no
// room for it.
type replySlot struct{ data []byte }

type replySlotKey struct{}

// runEvent runs ev through the event middleware and its handler. It
// returns the encoded reply of an ack handler (nil means null) and the
// error the client gets, or nil.
func (s *Server) runEvent(c *Conn, ev InboundEvent) ([]byte, *Error) {
	ctx := c.ctx
	var slot *replySlot
	e := s.events[ev.Name]
	if e != nil {
		s.observeReceived(e.Name)
	}
	if ev.HasAck && e != nil && e.Ack != nil {
		slot = new(replySlot)
		ctx = context.WithValue(ctx, replySlotKey{}, slot)
	}
	err := s.runChain(ctx, c, ev)
	if slot == nil || err != nil {
		werr := s.wireError(c, ev.Name, err)
		if werr != nil && e != nil {
			s.observeFailed(e.Name, werr.Code)
		}
		return nil, werr
	}
	return slot.data, nil
}

// runChain contains a panic in event middleware as code internal; the
// handler's own panics are contained closer, in call.
func (s *Server) runChain(ctx context.Context, c *Conn, ev InboundEvent) error {
	chain := s.eventChain()
	err := s.guard("event middleware", func() error { return chain(ctx, c, ev) }, connAttrs(c, ev.Name))
	return internalIfPanic(err)
}

// handleEvent is the innermost EventHandler: lookup, shape check, then the
// registered handler, which decodes, validates and calls the typed function.
func (s *Server) handleEvent(ctx context.Context, c *Conn, ev InboundEvent) error {
	e, err := s.event(ev.Name, byClient)
	switch {
	case errors.Is(err, ErrUnknownEvent):
		if h := s.untypedHandler(ev.Name); h != nil {
			return s.handleUntyped(ctx, c, ev, h)
		}
		return errUnknownEvent()
	case err != nil:
		return errNotAllowed()
	}
	if ds := checkInbound(&e.Event, ev.Args); len(ds) > 0 {
		return errInvalidPayload(ds)
	}
	h := e.getHandler()
	if h == nil {
		s.log.Error("eventwire: no handler registered", append([]any{"event", ev.Name}, c.logAttrs()...)...)
		return errInternal()
	}
	data, err := s.call(ctx, c, ev, h)
	if err != nil || !ev.HasAck || data == nil {
		return err
	}
	if slot, ok := ctx.Value(replySlotKey{}).(*replySlot); ok {
		slot.data = data
	} else {
		s.log.Error("eventwire: event middleware replaced the context; the ack reply is lost",
			append([]any{"event", ev.Name}, c.logAttrs()...)...)
	}
	return nil
}

// call runs a handler, turning a panic into code internal; the connection
// and the server live on.
func (s *Server) call(ctx context.Context, c *Conn, ev InboundEvent, h handlerFunc) ([]byte, error) {
	var data []byte
	err := s.guard("handler", func() (err error) {
		data, err = h(ctx, c, ev)
		return err
	}, connAttrs(c, ev.Name))
	if err != nil {
		return nil, internalIfPanic(err)
	}
	return data, nil
}

// internalIfPanic is what the client learns of a contained panic: code
// internal, as of any error that is not an *Error.
func internalIfPanic(err error) error {
	if _, ok := err.(*panicError); ok {
		return errInternal()
	}
	return err
}

// handlerFunc is a registered handler: it decodes and validates the
// (shape-checked) arguments, calls the typed function and returns its reply
// encoded as JSON, or nil when there is none.
type handlerFunc func(ctx context.Context, c *Conn, ev InboundEvent) ([]byte, error)
