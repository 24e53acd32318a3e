package middleware

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
)

// Handle registers the typed handler of a client->server event; T is the
// payload type (struct, pointer to struct, scalar or slice). Before fn runs,
// the runtime checks the payload against the event's Shape, decodes it into
// T and validates it (Struct for structs, Var(v, Event.Tag) otherwise); fn
// never sees an invalid payload. fn runs on the connection's read loop with
// the connection's context: the connection's next frames (pongs included)
// wait for it, so work longer than PingTimeout belongs in a goroutine.
//
// Handle fails if the event is unknown, clients may not send it, it has no
// payload, T cannot hold its JSON type, T's validation tags are malformed,
// or the event already has a handler.
func Handle[T any](s *Server, event string, fn func(ctx context.Context, c *Conn, v T) error) error {
	e, err := s.handlerSlot(event, fn != nil, true)
	if err != nil {
		return err
	}
	t := reflect.TypeFor[T]()
	if !decodesInto(t, e.Payload.Kind) {
		return fmt.Errorf("eventwire: handle %q: type %v cannot hold a JSON %s", event, t, kindName(e.Payload.Kind))
	}
	mode, root := modeFor(t, e.Tag), rootName(t)
	if err := s.probeTags(event, t, mode, e.Tag, root); err != nil {
		return err
	}
	return e.setHandler(event, func(ctx context.Context, c *Conn, raw json.RawMessage) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			// The Shape check passed, so T does not match the schema.
			return fmt.Errorf("eventwire: decode %q into %v: %w", event, t, err)
		}
		var target any = v
		if mode == validateStruct {
			target = &v // validator takes a struct by pointer; no copy
		}
		if err := s.valid.check(ctx, target, mode, e.Tag, root); err != nil {
			return err
		}
		return fn(ctx, c, v)
	})
}

// HandleEmpty is Handle for an event without payload.
func HandleEmpty(s *Server, event string, fn func(ctx context.Context, c *Conn) error) error {
	e, err := s.handlerSlot(event, fn != nil, false)
	if err != nil {
		return err
	}
	return e.setHandler(event, func(ctx context.Context, c *Conn, _ json.RawMessage) error {
		return fn(ctx, c)
	})
}

func (s *Server) handlerSlot(event string, hasFn, withPayload bool) (*eventEntry, error) {
	if s == nil {
		return nil, fmt.Errorf("eventwire: handle %q: nil Server", event)
	}
	if !hasFn {
		return nil, fmt.Errorf("eventwire: handle %q: nil handler", event)
	}
	e := s.events[event]
	switch {
	case e == nil:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, event)
	case !e.ClientSends:
		return nil, fmt.Errorf("%w: clients may not send %q", ErrNotAllowed, event)
	case withPayload && e.Payload == nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event has no payload; use HandleEmpty", event)
	case !withPayload && e.Payload != nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event has a payload; use Handle", event)
	}
	return e, nil
}

func (e *eventEntry) setHandler(event string, h handlerFunc) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handler != nil {
		return fmt.Errorf("eventwire: handle %q: a handler is already registered", event)
	}
	e.handler = h
	return nil
}

// probeTags validates a zero T once so a malformed validator tag (which
// makes validator panic) fails registration instead of every event.
func (s *Server) probeTags(event string, t reflect.Type, mode validateMode, tag, root string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("eventwire: handle %q: bad validation tag on %v: %v", event, t, r)
		}
	}()
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
	_ = s.valid.check(context.Background(), zero, mode, tag, root)
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
		return k == KindObject
	case reflect.Slice, reflect.Array:
		return k == KindArray
	}
	return false
}
