package middleware

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
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
	if ds := r.e.Details; len(ds) == 1 && ds[0].Field == "" && ds[0].Rule == "required" {
		// The one way a handler's reply is missing: it encoded as null.
		return "eventwire: the ack reply is null, and an ack is required like every payload, of type any too: " +
			"return a value (a nil json.RawMessage, pointer, slice or map encodes as null)"
	}
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
	if t == nil || !rulesApply(t, sh) {
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

// rulesApply reports whether validator's tags for a JSON value of shape sh
// can be applied to a Go value of type t: a type json decodes that value
// into, but not one that holds any JSON (interface, json.RawMessage or
// another json.Marshaler, a map for an object), whose Go form says nothing
// about the rules. A map with string keys holds a map Shape's entries, so
// its rules (its tag, Schema.Maps) apply when they apply to its values: a
// map[string]any passes on its Shape alone, as a map does for an object,
// unless the values are of kind any.
func rulesApply(t reflect.Type, sh *Shape) bool {
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
	case reflect.Interface:
		return false
	case reflect.Map:
		// Values of any take no rule (the spec refuses one), so a map of
		// them, json.RawMessage or interface, gets its size and key rules.
		return sh.Kind == KindMap && t.Key().Kind() == reflect.String &&
			(sh.Values.Kind == KindAny || rulesApply(t.Elem(), sh.Values))
	}
	return decodesInto(t, sh.Kind)
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

// valueConforms is conforms for v's type, v not a nil pointer, and every
// key of the maps in v valid UTF-8 (see mapKeysValid).
func valueConforms(v any, sh *Shape) bool {
	t := reflect.TypeOf(v)
	if t == nil || !conformsCached(t, sh) {
		return false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return false
	}
	return !typeHoldsMap(t, 0) || mapKeysValid(rv)
}

// holdsMap caches typeHoldsMap per Go type.
var holdsMap sync.Map // reflect.Type -> bool

// typeHoldsMap reports whether a value of t, a type conforms trusts (no
// interface, no marshaler, not recursive), can hold a map.
func typeHoldsMap(t reflect.Type, depth int) bool {
	if found, ok := holdsMap.Load(t); ok {
		return found.(bool)
	}
	found := false
	switch t.Kind() {
	case reflect.Map:
		found = true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		found = depth > 32 || typeHoldsMap(t.Elem(), depth+1)
	case reflect.Struct:
		for f := range t.Fields() {
			if f.IsExported() && (depth > 32 || typeHoldsMap(f.Type, depth+1)) {
				found = true
				break
			}
		}
	}
	if depth == 0 {
		holdsMap.Store(t, found)
	}
	return found
}

// mapKeysValid reports whether every key of every map in v is valid UTF-8.
// encoding/json writes a key that is not as the valid string it decodes to,
// with U+FFFD for each bad byte, so two keys can be written alike: a
// duplicate the inbound check refuses. Such a value is walked as encoded
// JSON, which refuses a duplicate too. v is of a type conforms trusts, so
// the walk is finite.
func mapKeysValid(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return v.IsNil() || mapKeysValid(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 || !typeHoldsMap(v.Type().Elem(), 0) {
			return true
		}
		for i := range v.Len() {
			if !mapKeysValid(v.Index(i)) {
				return false
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && typeHoldsMap(f.Type, 0) && !mapKeysValid(v.Field(i)) {
				return false
			}
		}
	case reflect.Map:
		deeper := typeHoldsMap(v.Type().Elem(), 0)
		for it := v.MapRange(); it.Next(); {
			if !utf8.ValidString(it.Key().String()) || deeper && !mapKeysValid(it.Value()) {
				return false
			}
		}
	}
	return true
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
// It answers false whenever it cannot be sure (custom marshalers, maps
// without string keys, interfaces, embedded structs, the ,string option, a
// required field or an array item that can be nil, a string that must be a
// date-time), and the encoded JSON is walked instead. Map keys are the one
// thing a type cannot promise: valueConforms checks them per value.
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
		// Any Go string is a JSON string, but only the walk sees whether
		// it is a date-time (a time.Time is a json.Marshaler: walked too).
		return t.Kind() == reflect.String && sh.Format == ""
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
		// encoding/json writes string keys sorted, once each, and as they
		// are when they are valid UTF-8 (see mapKeysValid).
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
