package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// HandleArgs registers the handler of a client->server event that carries
// several positional arguments (Event.Args). Before decode runs, the
// runtime has checked the number of arguments and each one's Shape; decode
// gets exactly len(Event.Args) raw arguments (nil for optional ones the
// client left out), decodes each with DecodeArg, and returns the call of
// the typed handler, or the decode error. The runtime then runs OnAny and
// the call, so OnAny sees only events whose arguments are all valid, as
// with Handle. Generated code writes decode. It fails as Handle does, and
// if the event has no Args or declares an Ack (use HandleArgsAck).
func HandleArgs(s *Server, event string, decode func(ctx context.Context, c *Conn, args []json.RawMessage) (func() error, error)) error {
	e, err := s.argsSlot(event, decode != nil, false)
	if err != nil {
		return err
	}
	return bind(s, e, padded(len(e.Args), decode), func(_ context.Context, _ *Conn, call func() error) (any, error) { return nil, call() })
}

// HandleArgsAck is HandleArgs for an event that declares an Ack: the
// call's reply R goes back as `{"data":<R>}` when the client sent an ack id.
func HandleArgsAck[R any](s *Server, event string, decode func(ctx context.Context, c *Conn, args []json.RawMessage) (func() (R, error), error)) error {
	e, err := s.argsSlot(event, decode != nil, true)
	if err != nil {
		return err
	}
	if err := checkReplyType[R]("handle", event, e.Ack); err != nil {
		return err
	}
	return bind(s, e, padded(len(e.Args), decode), func(_ context.Context, _ *Conn, call func() (R, error)) (any, error) { return call() })
}

// padded gives decode one argument per declared one, nil for those left
// out; the arity check ran before, so args is never longer than n.
func padded[C any](n int, decode func(context.Context, *Conn, []json.RawMessage) (C, error)) func(context.Context, *Conn, []json.RawMessage) (C, error) {
	return func(ctx context.Context, c *Conn, args []json.RawMessage) (C, error) {
		if len(args) < n {
			all := make([]json.RawMessage, n)
			copy(all, args)
			args = all
		}
		return decode(ctx, c, args)
	}
}

// DecodeArg decodes the shape-checked argument i of event into T and
// validates it (Struct for structs, Var(v, Event.ArgTags[i]) otherwise). An
// absent or null argument (only an optional one gets this far) is T's zero
// value, unvalidated. A rule violation is an *Error with code
// invalid_payload whose detail fields start with the argument's name
// ("label", "style.color", "tags[1]"). T must be the argument's generated
// Go type: a T that cannot hold it is a plain error (code internal).
func DecodeArg[T any](ctx context.Context, s *Server, event string, i int, raw json.RawMessage) (T, error) {
	var v T
	e := s.events[event]
	if e == nil || i < 0 || i >= len(e.Args) {
		return v, fmt.Errorf("eventwire: decode %q: no argument %d", event, i)
	}
	if raw == nil || string(raw) == "null" {
		return v, nil
	}
	var tag string
	if len(e.ArgTags) > i {
		tag = e.ArgTags[i]
	}
	v, decoded, err := decodeValid[T](ctx, s.valid, raw, tag)
	if !decoded {
		return v, fmt.Errorf("eventwire: decode argument %q of %q into %T: %w", e.Args[i].Name, event, v, err)
	}
	var we *Error
	if errors.As(err, &we) {
		return v, errInvalidPayload(prefixDetails(e.Args[i].Name, we.Details))
	}
	return v, err
}

// prefixDetails puts an argument's name in front of detail paths relative
// to the argument.
func prefixDetails(name string, ds []Detail) []Detail {
	out := make([]Detail, len(ds))
	for i, d := range ds {
		field := name
		switch {
		case d.Field == "":
		case d.Field[0] == '[':
			field += d.Field
		default:
			field += "." + d.Field
		}
		out[i] = newDetail(field, d.Rule, d.Param)
	}
	return out
}

func (s *Server) argsSlot(event string, hasFn, withAck bool) (*eventEntry, error) {
	e, err := s.clientEvent(event, hasFn)
	switch {
	case err != nil:
		return nil, err
	case e.Args == nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event has no args; use %s", event, handleName(e.Payload != nil, e.Ack != nil))
	case withAck && e.Ack == nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event declares no ack; use HandleArgs", event)
	case !withAck && e.Ack != nil:
		return nil, fmt.Errorf("eventwire: handle %q: the event declares an ack; use HandleArgsAck", event)
	}
	return e, nil
}

// argArity is the fewest and the most arguments an event with Args takes.
func argArity(args []FieldShape) (low, high int) {
	for i, a := range args {
		if a.Required {
			low = i + 1
		}
	}
	return low, len(args)
}

// checkInbound checks an inbound event's arguments against its Shapes and
// returns one Detail per problem (nil when they may be decoded).
func checkInbound(e *Event, args []json.RawMessage) []Detail {
	if e.Args == nil {
		return checkArgs(e.Payload, args)
	}
	if len(args) > len(e.Args) {
		return []Detail{newDetail("", "type", strconv.Itoa(len(e.Args))+" arguments")}
	}
	var w shapeWalker
	for i, a := range e.Args {
		switch {
		case i < len(args) && a.Required:
			w.value(a.Shape, args[i], a.Name, "required")
		case i < len(args):
			w.value(a.Shape, args[i], a.Name, "")
		case a.Required:
			w.add(a.Name, "required", "")
		}
	}
	return w.details
}

// checkEventArgs checks Event.Args and ArgTags.
func checkEventArgs(ev Event) error {
	switch {
	case ev.Args == nil && ev.ArgTags != nil:
		return errors.New("argument validator tags without args")
	case ev.Args == nil:
		return nil
	case ev.Payload != nil || ev.Tag != "":
		return errors.New("both a payload and args")
	case len(ev.Args) == 0:
		return errors.New("empty args")
	case ev.ArgTags != nil && len(ev.ArgTags) != len(ev.Args):
		return fmt.Errorf("%d argument validator tags for %d args", len(ev.ArgTags), len(ev.Args))
	}
	names := make(map[string]bool, len(ev.Args))
	optional := false
	for i, a := range ev.Args {
		switch {
		case a.Name == "" || names[a.Name]:
			return fmt.Errorf("argument %d: empty or duplicate name %q", i, a.Name)
		case a.Required && optional:
			return fmt.Errorf("argument %d (%q): required after an optional argument", i, a.Name)
		}
		names[a.Name] = true
		optional = optional || !a.Required
		if err := checkShape(a.Shape, "args."+a.Name, make(map[*Shape]bool)); err != nil {
			return err
		}
	}
	return nil
}
