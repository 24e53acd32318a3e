package middleware

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
)

// Outbound validation: what the server sends obeys the schema as what it
// receives does, so a client typed by the generated .d.ts never sees a value
// its types say cannot happen. It runs once per emit, on the arguments
// before and after encoding, never per recipient; Config.ValidateOutbound
// turns it off.

// checkOutbound checks the encoded arguments of an emit of e (raw, one per
// value of args) against the event's Shapes, then the values' rules. It
// returns an invalid_payload *Error naming every problem, nil when the emit
// may go out.
func (s *Server) checkOutbound(e *eventEntry, args []any, raw [][]byte) error {
	if !s.cfg.ValidateOutbound {
		return nil
	}
	if !allConform(e, args) {
		if ds := checkInbound(&e.Event, asRaw(raw)); ds != nil {
			return outboundError(e.Name, ds)
		}
	}
	if e.Args == nil {
		if e.Payload == nil || len(args) == 0 {
			return nil
		}
		return s.checkOutValue(e.Name, "", args[0], e.Payload, e.Tag)
	}
	for i, a := range e.Args {
		if i >= len(args) {
			break
		}
		var tag string
		if len(e.ArgTags) > i {
			tag = e.ArgTags[i]
		}
		if err := s.checkOutValue(e.Name, a.Name, args[i], a.Shape, tag); err != nil {
			return err
		}
	}
	return nil
}

// checkReply checks an ack handler's reply r, encoded as raw, against the
// event's Ack, as checkOutbound checks an emit. A reply that breaks it is
// the handler's bug, not the client's: the error is not a *Error, so the
// client gets "internal error" and the log gets the details.
func (s *Server) checkReply(e *eventEntry, r any, raw []byte) error {
	if !s.cfg.ValidateOutbound {
		return nil
	}
	var w shapeWalker
	w.value(e.Ack, raw, "", "required")
	err := outboundError(e.Name, w.details)
	if w.details == nil {
		if verr := s.checkOutValue(e.Name, "", r, e.Ack, e.AckTag); !errors.As(verr, &err) {
			return verr
		}
	}
	return invalidReplyError{err}
}

// invalidReplyError is an ack reply that breaks the schema. It does not
// unwrap to its *Error, which describes the reply and is for the log.
type invalidReplyError struct{ e *Error }

func (r invalidReplyError) Error() string {
	msg := "eventwire: the ack reply breaks the schema:"
	for _, d := range r.e.Details {
		msg += " " + d.Message + ";"
	}
	return strings.TrimSuffix(msg, ";")
}

// checkOutValue applies the validator rules to v, one payload, argument
// (named arg) or reply of shape sh. Rules live in the Go types' struct tags
// (tag for values that are not structs), so they apply to values of the
// generated types and of other types that can hold sh: a map, a
// json.RawMessage or an interface only passed the Shape check.
func (s *Server) checkOutValue(event, arg string, v any, sh *Shape, tag string) error {
	t := reflect.TypeOf(v)
	if t == nil || !rulesApply(t, sh.Kind) {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil // null, which the Shape check allowed
		}
		if t.Elem().Kind() != reflect.Struct {
			v, t = rv.Elem().Interface(), t.Elem()
		}
	}
	err := s.valid.check(context.Background(), v, modeFor(t, tag), tag, rootName(t))
	var we *Error
	if errors.As(err, &we) {
		ds := we.Details
		if arg != "" {
			ds = prefixDetails(arg, ds)
		}
		return outboundError(event, ds)
	}
	return err
}

// rulesApply reports whether validator's tags for a JSON value of kind k can
// be applied to a Go value of type t: a type json decodes that value into,
// but not one that holds any JSON (interface, map, json.RawMessage or
// another json.Marshaler), whose Go form says nothing about the rules.
func rulesApply(t reflect.Type, k Kind) bool {
	marshaler := reflect.TypeFor[json.Marshaler]()
	for t.Kind() == reflect.Pointer {
		if t.Implements(marshaler) {
			return false
		}
		t = t.Elem()
	}
	if t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler) {
		return false
	}
	switch t.Kind() {
	case reflect.Interface, reflect.Map:
		return false
	}
	return decodesInto(t, k)
}

// outboundError is the invalid_payload *Error of an emit or reply that
// breaks the schema; its message names the event, as the server's log and
// the caller need it.
func outboundError(event string, ds []Detail) *Error {
	err := errInvalidPayload(ds)
	err.Message = "invalid payload: the server may not send " + event + " with these values"
	return err
}

// allConform reports whether every value of args has a Go type whose JSON
// encoding always has its Shape (see conforms), so the walk of the encoded
// JSON can be skipped: for the generated types it is, and the rules are
// what is left to check.
func allConform(e *eventEntry, args []any) bool {
	if e.Args == nil {
		return e.Payload != nil && len(args) == 1 && valueConforms(args[0], e.Payload)
	}
	if len(args) > len(e.Args) {
		return false
	}
	for i, a := range e.Args {
		if i >= len(args) {
			return !a.Required
		}
		if args[i] == nil && !a.Required {
			continue
		}
		if !valueConforms(args[i], a.Shape) {
			return false
		}
	}
	return true
}

// valueConforms is conforms for v's type, and v not a nil pointer.
func valueConforms(v any, sh *Shape) bool {
	t := reflect.TypeOf(v)
	if t == nil || !conformsCached(t, sh) {
		return false
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() != reflect.Pointer || !rv.IsNil()
}

// conformance caches conforms per Shape and Go type: it depends on both
// only, and a server emits few types.
var conformance sync.Map // conformKey -> bool

type conformKey struct {
	sh *Shape
	t  reflect.Type
}

func conformsCached(t reflect.Type, sh *Shape) bool {
	k := conformKey{sh, t}
	if ok, found := conformance.Load(k); found {
		return ok.(bool)
	}
	ok := conforms(t, sh, 0)
	conformance.Store(k, ok)
	return ok
}

// conforms reports whether encoding/json writes every non-nil value of type
// t as a JSON value that passes the Shape check of sh: the right JSON
// types, every required field present and never null, no unknown key.
// It answers false whenever it cannot be sure (custom marshalers, maps,
// interfaces, embedded structs, the ,string option, a required field or an
// array item that can be nil), and the encoded JSON is walked instead.
func conforms(t reflect.Type, sh *Shape, depth int) bool {
	if depth > 32 {
		return false
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem() // a nil one is the caller's to see
	}
	marshaler := reflect.TypeFor[json.Marshaler]()
	if t.Implements(marshaler) || reflect.PointerTo(t).Implements(marshaler) ||
		t.Implements(reflect.TypeFor[encoding.TextMarshaler]()) {
		return false
	}
	switch sh.Kind {
	case KindString:
		return t.Kind() == reflect.String
	case KindInteger:
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return true
		}
	case KindNumber:
		switch t.Kind() {
		case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return true
		}
	case KindBoolean:
		return t.Kind() == reflect.Bool
	case KindBytes:
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8
	case KindArray:
		return (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && !nullable(t.Elem()) &&
			conforms(t.Elem(), sh.Items, depth+1)
	case KindObject:
		return t.Kind() == reflect.Struct && structConforms(t, sh, depth)
	case KindMap:
		// encoding/json writes string keys as they are, sorted, once each.
		return t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && !nullable(t.Elem()) &&
			conforms(t.Elem(), sh.Values, depth+1)
	}
	return false
}

// structConforms is conforms for a struct and an object Shape.
func structConforms(t reflect.Type, sh *Shape, depth int) bool {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		if f.Anonymous {
			return false
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		omit := false
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "string":
				return false
			case "omitempty", "omitzero":
				omit = true
			}
		}
		fs := field(sh, name)
		if fs == nil {
			return false // an unknown key
		}
		if fs.Required && (omit || nullable(f.Type)) {
			return false
		}
		if !conforms(f.Type, fs.Shape, depth+1) {
			return false
		}
	}
	for _, fs := range sh.Fields {
		if fs.Required && !hasJSONField(t, fs.Name) {
			return false
		}
	}
	return true
}

// nullable reports whether encoding/json may write a value of t as null.
func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

// field is the FieldShape of sh's field name, nil for a key sh does not
// declare.
func field(sh *Shape, name string) *FieldShape {
	for i := range sh.Fields {
		if sh.Fields[i].Name == name {
			return &sh.Fields[i]
		}
	}
	return nil
}

// hasJSONField reports whether struct t writes a member called name.
func hasJSONField(t reflect.Type, name string) bool {
	for f := range t.Fields() {
		if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && (n == name || n == "" && f.Name == name) {
			return true
		}
	}
	return false
}

// asRaw views encoded arguments as the json.RawMessages the Shape check takes.
func asRaw(raw [][]byte) []json.RawMessage {
	out := make([]json.RawMessage, len(raw))
	for i, r := range raw {
		out[i] = r
	}
	return out
}
