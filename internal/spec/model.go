// Package spec reads events.yaml: it parses the file keeping every node's
// position, validates it (reporting every error at once as file:line:col),
// and returns a normalised, sorted model that internal/codegen renders.
//
//	s, err := spec.Load("events.yaml")
//	if err != nil {
//		// err is a spec.ErrorList; each entry prints as file:line:col: message
//	}
package spec

import "fmt"

// Direction says which side may send an event.
type Direction string

const (
	// ToClient events are sent by the server and received by clients.
	ToClient Direction = "to_client"
	// ToServer events are sent by clients and handled by the server.
	ToServer Direction = "to_server"
	// Both means either side may send the event.
	Both Direction = "both"
)

// ClientSends reports whether a client may send the event.
func (d Direction) ClientSends() bool { return d == ToServer || d == Both }

// ServerSends reports whether the server may send the event.
func (d Direction) ServerSends() bool { return d == ToClient || d == Both }

// Kind is the JSON type of a schema node.
type Kind string

// The kinds a schema node can have. KindRef points at a named shared type.
const (
	KindString  Kind = "string"
	KindInteger Kind = "integer"
	KindNumber  Kind = "number"
	KindBoolean Kind = "boolean"
	KindObject  Kind = "object"
	KindArray   Kind = "array"
	// KindBytes is binary data: a []byte in Go, a Uint8Array or ArrayBuffer
	// the JS client sends as a Socket.IO attachment. Only clients send it.
	KindBytes Kind = "bytes"
	KindRef   Kind = "ref"
	// KindAny is any JSON value, carried unchecked: a json.RawMessage in
	// Go, unknown in TypeScript. It takes no rules.
	KindAny Kind = "any"
	// KindMap is a JSON object with arbitrary string keys whose values all
	// have the schema Values: a map[string]T in Go, a Record<string, T> in TS.
	KindMap Kind = "map"
)

// Pos is a position in a spec file; Line and Col count from 1.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Spec is a validated events.yaml.
type Spec struct {
	// File is the path the spec was loaded from, as given to Load.
	File    string
	Version int
	// Types are the named shared types, sorted by Name.
	Types []*NamedType
	// Auth is the schema of the Socket.IO CONNECT packet's auth payload (the
	// top-level auth key); nil when the spec declares none. It is an object,
	// inline (GoName "Auth") or a reference to a named object type.
	Auth *Schema
	// Events are sorted by Name. They are the events of the main namespace "/".
	Events []*Event
	// Namespaces are the other Socket.IO namespaces (the top-level
	// namespaces map), sorted by Name; nil when the spec declares none.
	Namespaces []*Namespace
}

// Namespace is an entry of the top-level `namespaces` map: a Socket.IO
// namespace with its own events and CONNECT auth, multiplexed with "/" on
// one WebSocket.
type Namespace struct {
	Name   string // as on the wire, e.g. /admin
	GoName string // exported Go identifier, e.g. Admin; prefixes the namespace's Go and TS types
	Doc    string
	// Auth is the namespace's CONNECT auth payload, an object (GoName
	// GoName+"Auth"); nil when it declares none.
	Auth *Schema
	// Events are sorted by Name. Their GoNames name methods (Handler,
	// emitters), so they may repeat the main namespace's; the Go types of
	// their payloads and acks are prefixed with the namespace's GoName.
	Events []*Event
	Pos    Pos
}

// NamedType is an entry of the top-level `types` map.
type NamedType struct {
	Name   string // as written in events.yaml, e.g. ChatLine
	GoName string // exported Go identifier, e.g. ChatLine
	Doc    string
	Schema *Schema
	Pos    Pos
}

// Event is an entry of the top-level `events` map.
type Event struct {
	Name      string // wire name, e.g. browser_to_message
	GoName    string // exported Go identifier, e.g. BrowserToMessage; JS uses it too (emitBrowserToMessage)
	Direction Direction
	Doc       string
	// Payload is nil when the event carries no argument or carries Args.
	Payload *Schema
	// Args are the event's positional arguments, in order, when it declares
	// args: instead of payload (at most one of the two is set). Each is a
	// Field: Name is the argument's name (detail paths start with it),
	// Required arguments come before optional ones.
	Args []*Field
	// Ack is the typed acknowledgement reply; nil when the event has none.
	Ack *Schema
	Pos Pos
}

// Schema describes one JSON value: a payload, a field, an array item.
type Schema struct {
	Kind Kind
	// Ref is the named type's name when Kind is KindRef; RefType is it resolved.
	Ref     string
	RefType *NamedType
	// GoName is the Go type name of an object (KindObject) or of a string or
	// integer with an enum: the named type's GoName for a type's own
	// definition, otherwise derived from where the schema sits: an event
	// payload takes the event's GoName, an ack GoName+"Ack", the auth schema
	// AuthGoName, a field Parent+FieldGoName, an argument
	// Event+ArgumentGoName, array items Parent+"Item".
	// Empty for other schemas. The spec checks these names never collide.
	GoName string
	// EnumConsts are the Go constant names of Rules.Enum's values, in the
	// same order: GoName followed by the value in Go case (LevelInfo,
	// PriorityMinus1). Set when GoName is, for an enum.
	EnumConsts []string
	enumPos    []Pos // where each Rules.Enum value is written
	Doc        string
	// Fields of an object, in the order events.yaml declares them.
	Fields []*Field
	// Items of an array.
	Items *Schema
	Rules Rules
	Pos   Pos

	// Values of a map (KindMap); their GoName, for an inline object or
	// enum, is the map's Parent+"Value".
	Values *Schema
}

// Field is a member of an object schema.
type Field struct {
	Name     string // JSON name, as written, e.g. messageText
	GoName   string // exported Go identifier, e.g. MessageText
	Required bool
	Schema   *Schema
	Pos      Pos
}

// Rules are the validation rules of a schema node. A nil pointer means the
// rule is absent, so `min: 0` is kept and distinct from no minimum.
type Rules struct {
	MinLength *int     // strings, in Unicode code points (runes)
	MaxLength *int     // strings
	Min       *float64 // integers and numbers, inclusive
	Max       *float64 // integers and numbers, inclusive
	Pattern   string   // strings; RE2 syntax, as Go's regexp accepts it
	// JSPattern is Pattern's JavaScript form: the source of a RegExp with
	// the u flag that matches exactly the strings Pattern matches.
	JSPattern string
	Enum      []string // strings and integers; strings as written, integers in canonical decimal
	Format    Format   // strings
	MinItems  *int     // arrays
	MaxItems  *int     // arrays
	MinBytes  *int     // bytes, in bytes
	MaxBytes  *int     // bytes

	MinProperties *int // maps: the fewest entries
	MaxProperties *int // maps: the most entries
	// KeyPattern is what every key of a map must match, RE2 as Pattern;
	// JSKeyPattern is its JavaScript form, as JSPattern is Pattern's.
	KeyPattern   string
	JSKeyPattern string
}

// Format is a well-known string format.
type Format string

// The supported string formats; each maps to the validator/v10 tag of the same name.
const (
	FormatNone  Format = ""
	FormatEmail Format = "email"
	FormatURL   Format = "url"
	FormatUUID  Format = "uuid"
	// FormatDateTime is an RFC 3339 date-time; it is checked by the runtime's
	// shape check (middleware.IsDateTime), not by a validator tag, and makes
	// the Go type time.Time.
	FormatDateTime Format = "date-time"
)

// Resolve follows a KindRef to the schema it names; other schemas are returned as they are.
func (s *Schema) Resolve() *Schema {
	for s != nil && s.Kind == KindRef && s.RefType != nil {
		s = s.RefType.Schema
	}
	return s
}
