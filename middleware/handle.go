package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
)

// Handle registers the typed handler of a client->server event; T is the
// payload type (struct, pointer to struct, scalar or slice). Before fn runs,
// the runtime checks the payload against the event's Shape, decodes it into
// T and validates it (Struct for structs, Var(v, Event.Tag) otherwise); fn
// never sees an invalid payload. fn runs on the connection's read loop with
// the connection's context (or the one event middleware passed on): the
// connection's next frames (pongs included) wait for it, so work longer
// than PingTimeout belongs in a goroutine.
//
// Handle fails if the event is unknown, clients may not send it, it has no
// payload, it declares an Ack (use HandleAck), T cannot hold its JSON type,
// T's validation tags are malformed, or the event already has a handler.
func Handle[T any](s *Server, event string, fn func(ctx context.Context, c *Conn, v T) error) error {
	e, err := s.handlerSlot(event, fn != nil, true, false)
	if err != nil {
		return err
	}
	decode, err := newDecoder[T](s, "handle", event, e.Payload, e.Tag)
	if err != nil {
		return err
	}
	return bind(s, e, decode, func(ctx context.Context, c *Conn, v T) (any, error) { return nil, fn(ctx, c, v) })
}

// HandleEmpty is Handle for an event without payload.
func HandleEmpty(s *Server, event string, fn func(ctx context.Context, c *Conn) error) error {
	e, err := s.handlerSlot(event, fn != nil, false, false)
	if err != nil {
		return err
	}
	return bind(s, e, noPayload, func(ctx context.Context, c *Conn, _ struct{}) (any, error) { return nil, fn(ctx, c) })
}

// HandleAck is Handle for an event that declares an Ack: fn's reply R goes
// back to the client as `{"data":<R>}` when the client sent an ack id (and
// is dropped when it did not). R is encoded with encoding/json, HTML
// characters unescaped as in every frame. It fails as Handle does, and if
// the event declares no Ack or R cannot hold the Ack's JSON type.
func HandleAck[T, R any](s *Server, event string, fn func(ctx context.Context, c *Conn, v T) (R, error)) error {
	e, err := s.handlerSlot(event, fn != nil, true, true)
	if err != nil {
		return err
	}
	if err := checkReplyType[R]("handle", event, e.Ack); err != nil {
		return err
	}
	decode, err := newDecoder[T](s, "handle", event, e.Payload, e.Tag)
	if err != nil {
		return err
	}
	return bind(s, e, decode, func(ctx context.Context, c *Conn, v T) (any, error) { return fn(ctx, c, v) })
}

// HandleEmptyAck is HandleAck for an event without payload.
func HandleEmptyAck[R any](s *Server, event string, fn func(ctx context.Context, c *Conn) (R, error)) error {
	e, err := s.handlerSlot(event, fn != nil, false, true)
	if err != nil {
		return err
	}
	if err := checkReplyType[R]("handle", event, e.Ack); err != nil {
		return err
	}
	return bind(s, e, noPayload, func(ctx context.Context, c *Conn, _ struct{}) (any, error) { return fn(ctx, c) })
}

// bind registers the handler of e that every Handle function builds:
// decode turns the event's shape-checked arguments into what the typed
// function takes (or fails with its decode or validation error), OnAny
// observes the event, and call runs the function. Its reply is encoded
// when the event declares an Ack and the client asked for one; nil is null.
func bind[V any](s *Server, e *eventEntry,
	decode func(ctx context.Context, c *Conn, args []json.RawMessage) (V, error),
	call func(ctx context.Context, c *Conn, v V) (any, error),
) error {
	return e.setHandler(func(ctx context.Context, c *Conn, ev InboundEvent) ([]byte, error) {
		v, err := decode(ctx, c, ev.Args)
		if err != nil {
			return nil, err
		}
		s.observe(ctx, c, ev)
		var start time.Time
		if s.observed() != nil {
			start = time.Now()
		}
		r, err := call(ctx, c, v)
		if !start.IsZero() {
			s.observeHandled(e.Name, time.Since(start))
		}
		if err != nil || !ev.HasAck || e.Ack == nil {
			return nil, err
		}
		out, err := encodeReply(e.Name, r)
		if err == nil {
			err = s.checkReply(e, r, out)
		}
		return out, err
	})
}

// noPayload is the decode of an event without payload.
func noPayload(context.Context, *Conn, []json.RawMessage) (struct{}, error) { return struct{}{}, nil }

// newDecoder checks that T can hold values of shape sh and probes its
// validation tags; it returns the decode of an event's one shape-checked
// argument into T, validated. op names the caller in errors ("handle",
// "authorize").
func newDecoder[T any](s *Server, op, name string, sh *Shape, tag string) (func(context.Context, *Conn, []json.RawMessage) (T, error), error) {
	t := reflect.TypeFor[T]()
	if !decodesInto(t, sh.Kind) {
		return nil, fmt.Errorf("eventwire: %s %q: type %v cannot hold a JSON %s", op, name, t, kindName(sh.Kind))
	}
	if err := s.probeTags(op, name, t, tag); err != nil {
		return nil, err
	}
	return func(ctx context.Context, _ *Conn, args []json.RawMessage) (T, error) {
		v, decoded, err := decodeValid[T](ctx, s.valid, args[0], tag)
		if !decoded {
			// The Shape check passed, so T does not match the schema.
			return v, fmt.Errorf("eventwire: decode %q into %v: %w", name, t, err)
		}
		return v, err
	}, nil
}

// decodeValid decodes a shape-checked JSON value into T and validates it
// (Struct for structs, Var(v, tag) otherwise). decoded is false when the
// value did not decode, err being json's error; otherwise err is nil or
// the validation's (an invalid_payload *Error for broken rules).
func decodeValid[T any](ctx context.Context, valid *payloadValidator, raw json.RawMessage, tag string) (v T, decoded bool, err error) {
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, err
	}
	clearRawNulls(&v)
	t := reflect.TypeFor[T]()
	mode := modeFor(t, tag)
	var target any = v
	if mode == validateStruct {
		target = &v // validator takes a struct by pointer; no copy
	}
	return v, true, valid.check(ctx, target, mode, tag, rootName(t))
}

// checkReplyType checks that a reply type can hold the Ack's JSON type, so
// a generated type that does not match its schema fails at registration.
func checkReplyType[R any](op, event string, ack *Shape) error {
	if t := reflect.TypeFor[R](); !decodesInto(t, ack.Kind) {
		return fmt.Errorf("eventwire: %s %q: reply type %v cannot hold a JSON %s", op, event, t, kindName(ack.Kind))
	}
	return nil
}

// encodeReply encodes an ack handler's reply as encodeEvent encodes
// arguments: HTML characters are not escaped.
func encodeReply(event string, r any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("eventwire: encode the reply of %q: %w", event, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// clientEvent looks up the event a handler is registered for.
func (s *Server) clientEvent(event string, hasFn bool) (*eventEntry, error) {
	if s == nil {
		return nil, fmt.Errorf("eventwire: handle %q: nil Server", event)
	}
	if !hasFn {
		return nil, fmt.Errorf("eventwire: handle %q: nil handler", event)
	}
	return s.event(event, byClient)
}

func (s *Server) handlerSlot(event string, hasFn, withPayload, withAck bool) (*eventEntry, error) {
	e, err := s.clientEvent(event, hasFn)
	switch {
	case err != nil:
		return nil, err
	case e.Args != nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event has several arguments; use HandleArgs or HandleArgsAck", event)
	case withPayload && e.Payload == nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event has no payload; use %s", event, handleName(false, withAck))
	case !withPayload && e.Payload != nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event has a payload; use %s", event, handleName(true, withAck))
	case withAck && e.Ack == nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event declares no ack; use %s", event, handleName(withPayload, false))
	case !withAck && e.Ack != nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event declares an ack; use %s", event, handleName(withPayload, true))
	}
	return e, nil
}

// handleName names the registration function that fits an event.
func handleName(payload, ack bool) string {
	name := "Handle"
	if !payload {
		name += "Empty"
	}
	if ack {
		name += "Ack"
	}
	return name
}

func (e *eventEntry) setHandler(h handlerFunc) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handler != nil {
		return fmt.Errorf("eventwire: handle %q: a handler is already registered", e.Name)
	}
	e.handler = h
	return nil
}

// probeTags validates a zero T once so a malformed validator tag (which
// makes validator panic) fails registration instead of every event.
func (s *Server) probeTags(op, name string, t reflect.Type, tag string) error {
	mode := modeFor(t, tag)
	var zero any
	switch mode {
	case validateNone:
		return nil
	case validateStruct:
		zero = reflect.New(t).Interface()
	case validateStructPtr:
		zero = reflect.New(t.Elem()).Interface()
	case validateVar:
		zero = reflect.Zero(t).Interface()
	}
	err := contained(func() error {
		_ = s.valid.check(context.Background(), zero, mode, tag, rootName(t))
		return nil
	})
	if p, ok := err.(*panicError); ok {
		return fmt.Errorf("eventwire: %s %q: bad validation tag on %v: %v", op, name, t, p.value)
	}
	return nil
}

// rootName is the name validator puts in front of a struct's namespaces.
func rootName(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	return t.Name()
}

// decodesInto reports whether encoding/json can put a JSON value of kind k
// into t; it catches a generated type that does not match its Shape.
func decodesInto(t reflect.Type, k Kind) bool {
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.String:
		return k == KindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return k == KindInteger
	case reflect.Float32, reflect.Float64:
		return k == KindNumber || k == KindInteger
	case reflect.Bool:
		return k == KindBoolean
	case reflect.Struct, reflect.Map:
		return k == KindObject || k == KindMap && t.Kind() == reflect.Map
	case reflect.Slice, reflect.Array:
		return k == KindArray || k == KindBytes && t.Elem().Kind() == reflect.Uint8
	}
	return false
}
