package middleware

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Kind is the JSON type of a Shape.
type Kind uint8

// The JSON types a payload node can have.
const (
	KindString Kind = iota + 1
	KindInteger
	KindNumber
	KindBoolean
	KindObject
	KindArray
	// KindBytes is a []byte: a JSON string in standard base64, the form a
	// binary attachment takes once it is put in place of its placeholder.
	KindBytes
	// KindAny is any JSON value, carried unchecked (a json.RawMessage in
	// generated code). As an array item it may be null.
	KindAny
	// KindMap is a JSON object with arbitrary string keys, each value of
	// the Shape Values (see mapKeyPath for how details name a key).
	KindMap
)

// kindName is the JSON type name used in "type" details and in messages.
func kindName(k Kind) string {
	switch k {
	case KindString:
		return "string"
	case KindInteger:
		return "integer"
	case KindNumber:
		return "number"
	case KindBoolean:
		return "boolean"
	case KindObject:
		return "object"
	case KindArray:
		return "array"
	case KindBytes:
		return "bytes"
	case KindAny:
		return "any"
	case KindMap:
		return "map"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Shape lets the runtime check presence, JSON types and unknown keys before
// decoding into the typed value, so Go's lenient decoding (case-insensitive
// keys, ignored extras, null as zero) never decides what a payload means.
type Shape struct {
	Kind   Kind
	Fields []FieldShape // KindObject, in declaration order
	Items  *Shape       // KindArray
	// Format is checked on a KindString value before decoding:
	// FormatDateTime (IsDateTime) fails rule format with param "date-time".
	// "" checks nothing; email, url and uuid are validator tags instead.
	Format string
	Values *Shape // KindMap
}

// FieldShape is one member of an object Shape. An optional field may be
// absent or null; a required one must be present and not null.
type FieldShape struct {
	Name     string
	Required bool
	Shape    *Shape
}

// Event describes one event of the generated schema.
type Event struct {
	Name        string
	ClientSends bool   // clients may send it (to_server, both)
	ServerSends bool   // server may send it (to_client, both)
	Payload     *Shape // nil: the event carries no argument, or Args
	// Tag is the validator/v10 tag applied with Validate.Var to a non-struct
	// payload (scalar or array), e.g. "min=1,max=500"; empty for struct
	// payloads (their struct tags do it) and for no rules.
	Tag string
	// Ack is the shape of the typed reply the receiver sends back; nil: the
	// event has no typed reply (a client's ack id still gets {"data":null}).
	Ack *Shape
	// AckTag is Tag for a reply that is not a struct.
	AckTag string
	// Args are the positional arguments of an event that carries several,
	// in order (Payload is nil then): Name names the argument in details,
	// Required ones come first, optional ones may be left out at the end or
	// sent as null. Register the handler with HandleArgs or HandleArgsAck.
	Args []FieldShape
	// ArgTags are the validator tags of the arguments that are not structs,
	// index by index ("" for structs and for no rules); nil or len(Args).
	ArgTags []string
}

// Schema is what generated code hands to New.
type Schema struct {
	Source   string // the events.yaml path the code was generated from (for messages)
	Events   []Event
	Patterns map[string]string // custom validator tag name -> RE2 pattern, e.g. "ew_pattern_1": "^[a-z]+$"
	// Maps are the rules of the maps, by the custom validator tag that
	// checks them (e.g. "ew_map_1"), which the generated types carry.
	Maps map[string]MapRule
	// Namespaces are the namespaces besides "/" (whose events are Events);
	// they share Patterns. See Server.Namespace.
	Namespaces []NamespaceSchema
	// Auth is the shape of the CONNECT packet's auth payload, an object; nil:
	// any payload (or none) is accepted and never decoded.
	Auth *Shape
	// AuthTag is Tag for an auth type that is not a struct.
	AuthTag string
	// Client is the generated JavaScript client, served at Config.Path +
	// Client.Name (its minified form at the same name ending in .min.js)
	// unless Config.ServeClient is false; nil: none.
	Client *ClientModule
}

// reservedEvent reports names socket.io clients treat specially (they refuse
// to emit them or fire them for their own lifecycle) and the runtime's own
// "eventwire:" events such as ErrorEvent.
func reservedEvent(name string) bool {
	switch name {
	case "connect", "connect_error", "disconnect", "disconnecting",
		"newListener", "removeListener":
		return true
	}
	return strings.HasPrefix(name, "eventwire:")
}

// eventEntry is an Event plus its registered handler.
type eventEntry struct {
	Event
	argsBinary bool // the payload or an argument holds bytes: sent as BINARY_EVENT
	ackBinary  bool // the ack reply holds bytes: sent as BINARY_ACK
	mu         sync.RWMutex
	handler    handlerFunc // nil until Handle/HandleEmpty registers one
}

// sender is the side that sends an event.
type sender uint8

const (
	byClient sender = iota + 1
	byServer
)

// event returns the event called name if by may send it; otherwise an
// error wrapping ErrUnknownEvent or ErrNotAllowed.
func (s *Server) event(name string, by sender) (*eventEntry, error) {
	e := s.events[name]
	switch {
	case e == nil:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, name)
	case by == byServer && !e.ServerSends:
		return nil, fmt.Errorf("%w: the server may not send %q", ErrNotAllowed, name)
	case by == byClient && !e.ClientSends:
		return nil, fmt.Errorf("%w: clients may not send %q", ErrNotAllowed, name)
	}
	return e, nil
}

func (e *eventEntry) getHandler() handlerFunc {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.handler
}

// compileSchema checks the schema and indexes its events by name.
func compileSchema(schema Schema) (map[string]*eventEntry, error) {
	src := schema.Source
	if src == "" {
		src = "schema"
	}
	events := make(map[string]*eventEntry, len(schema.Events))
	var errs []error
	if err := checkAuth(schema, src); err != nil {
		errs = append(errs, err)
	}
	for i, ev := range schema.Events {
		if err := checkEvent(ev, events); err != nil {
			errs = append(errs, fmt.Errorf("eventwire: %s: event %d (%q): %w", src, i, ev.Name, err))
			continue
		}
		events[ev.Name] = &eventEntry{Event: ev, argsBinary: argsHoldBytes(ev), ackBinary: shapeHoldsBytes(ev.Ack)}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return events, nil
}

func checkEvent(ev Event, seen map[string]*eventEntry) error {
	switch {
	case ev.Name == "":
		return errors.New("empty name")
	case reservedEvent(ev.Name):
		return errors.New("the name is reserved")
	case seen[ev.Name] != nil:
		return errors.New("declared twice")
	case !ev.ClientSends && !ev.ServerSends:
		return errors.New("neither clients nor the server may send it")
	case ev.Payload == nil && ev.Tag != "":
		return errors.New("a validator tag without a payload")
	case ev.Ack == nil && ev.AckTag != "":
		return errors.New("an ack validator tag without an ack")
	}
	if ev.Payload != nil {
		if err := checkShape(ev.Payload, "payload", make(map[*Shape]bool)); err != nil {
			return err
		}
	}
	if err := checkEventArgs(ev); err != nil {
		return err
	}
	if ev.Ack != nil {
		return checkShape(ev.Ack, "ack", make(map[*Shape]bool))
	}
	return nil
}

// checkAuth checks Schema.Auth: the protocol carries the CONNECT payload as
// a JSON object, so any other kind could never match.
func checkAuth(schema Schema, src string) error {
	switch {
	case schema.Auth == nil && schema.AuthTag != "":
		return fmt.Errorf("eventwire: %s: auth: a validator tag without an auth shape", src)
	case schema.Auth == nil:
		return nil
	case schema.Auth.Kind != KindObject:
		return fmt.Errorf("eventwire: %s: auth: must be an object, not %s", src, kindName(schema.Auth.Kind))
	}
	if err := checkShape(schema.Auth, "auth", make(map[*Shape]bool)); err != nil {
		return fmt.Errorf("eventwire: %s: %w", src, err)
	}
	return nil
}

// checkShape verifies a Shape tree. A node may be shared (a named type used
// twice) but not contain itself: the payload check walks by the Shape, and an
// acyclic Shape is what bounds that walk's depth whatever the input.
func checkShape(sh *Shape, path string, state map[*Shape]bool) error {
	if sh == nil {
		return fmt.Errorf("%s: nil shape", path)
	}
	done, seen := state[sh]
	if seen && !done {
		return fmt.Errorf("%s: the shape contains itself", path)
	}
	if done {
		return nil
	}
	state[sh] = false // on the current path
	if err := checkShapeNode(sh, path, state); err != nil {
		return err
	}
	state[sh] = true
	return nil
}

func checkShapeNode(sh *Shape, path string, state map[*Shape]bool) error {
	if sh.Kind < KindString || sh.Kind > KindMap {
		return fmt.Errorf("%s: unknown kind %d", path, sh.Kind)
	}
	if err := checkShapeFormat(sh, path); err != nil {
		return err
	}
	if sh.Kind != KindObject && len(sh.Fields) > 0 {
		return fmt.Errorf("%s: fields on a %s", path, kindName(sh.Kind))
	}
	if (sh.Kind == KindArray) != (sh.Items != nil) {
		return fmt.Errorf("%s: items must be set exactly for arrays", path)
	}
	if sh.Kind == KindArray {
		return checkShape(sh.Items, path+"[]", state)
	}
	if err := checkMapShape(sh, path); err != nil {
		return err
	}
	if sh.Kind == KindMap {
		return checkShape(sh.Values, path+"{}", state)
	}
	names := make(map[string]bool, len(sh.Fields))
	for _, f := range sh.Fields {
		if f.Name == "" || names[f.Name] {
			return fmt.Errorf("%s: empty or duplicate field name %q", path, f.Name)
		}
		names[f.Name] = true
		if err := checkShape(f.Shape, path+"."+f.Name, state); err != nil {
			return err
		}
	}
	return nil
}
