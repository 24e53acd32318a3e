package codegen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// schemaRef is where named types live in the AsyncAPI document.
const schemaRef = "#/components/schemas/"

// bytesDoc says how a bytes value travels, since JSON Schema has no binary type.
const bytesDoc = "Binary data. It travels as a Socket.IO binary attachment: the JSON holds a placeholder " +
	`{"_placeholder":true,"num":N} and the bytes follow in binary frame N (the packet type is 45/46 instead of 42/43).`

// dateTimePattern is the form of a date-time the runtime accepts; it also
// checks the calendar and the clock (no February 30, no second 60).
const dateTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

// jsonSchema maps one events.yaml schema to JSON Schema (draft-07, the
// AsyncAPI 3.0 default schemaFormat). A named type is a $ref to
// components.schemas; every other kind is inline.
func jsonSchema(s *spec.Schema) (obj, error) {
	switch s.Kind {
	case spec.KindRef:
		return refSchema(s)
	case spec.KindString:
		return stringSchema(s), nil
	case spec.KindInteger, spec.KindNumber:
		return numberSchema(s)
	case spec.KindBoolean:
		o := obj{{"type", "boolean"}}
		o.set("description", s.Doc)
		return o, nil
	case spec.KindBytes:
		return obj{{"type", "string"}, {"contentEncoding", "binary"}, {"description", joinDoc(s.Doc, bytesDoc+byteBounds(s.Rules))}}, nil
	case spec.KindArray:
		return arraySchema(s)
	case spec.KindObject:
		return objectSchema(s)
	case spec.KindMap:
		return mapSchema(s)
	case spec.KindAny:
		o := obj{} // any JSON value: no constraint
		o.set("description", s.Doc)
		return o, nil
	}
	return nil, fmt.Errorf("eventwire: codegen: AsyncAPI: %s: kind %q has no JSON Schema mapping", s.Pos, s.Kind)
}

// refSchema points at the named type in components.schemas.
func refSchema(s *spec.Schema) (obj, error) {
	if s.RefType == nil {
		return nil, fmt.Errorf("eventwire: codegen: AsyncAPI: %s: type %q is not resolved", s.Pos, s.Ref)
	}
	ref := obj{{"$ref", schemaRef + s.RefType.Name}}
	if s.Doc == "" {
		return ref, nil
	}
	// draft-07 ignores keywords beside $ref, so a use's own doc wraps it.
	return obj{{"description", s.Doc}, {"allOf", []any{ref}}}, nil
}

func stringSchema(s *spec.Schema) obj {
	r := s.Rules
	o := obj{{"type", "string"}}
	o.set("title", s.GoName) // set for an enum: its Go type's name
	o.set("description", s.Doc)
	o.set("enum", stringEnum(r.Enum))
	o.set("format", jsonFormat(r.Format))
	o.set("minLength", intPtr(r.MinLength))
	o.set("maxLength", intPtr(r.MaxLength))
	o.set("pattern", r.JSPattern) // ECMA-262, as JSON Schema's pattern is; RE2's form is not
	if r.Format == spec.FormatDateTime {
		// JSON Schema's date-time also takes a lower-case t and z, which
		// the runtime refuses (a date-time has no pattern rule of its own).
		o.set("pattern", dateTimePattern)
	}
	return o
}

func numberSchema(s *spec.Schema) (obj, error) {
	enum, err := integerEnum(s.Rules.Enum)
	if err != nil {
		return nil, fmt.Errorf("eventwire: codegen: AsyncAPI: %s: %w", s.Pos, err)
	}
	o := obj{{"type", string(s.Kind)}}
	o.set("title", s.GoName)
	o.set("description", s.Doc)
	o.set("enum", enum)
	o.set("minimum", number(s.Rules.Min))
	o.set("maximum", number(s.Rules.Max))
	return o, nil
}

func arraySchema(s *spec.Schema) (obj, error) {
	items, err := jsonSchema(s.Items)
	if err != nil {
		return nil, err
	}
	o := obj{{"type", "array"}}
	o.set("description", s.Doc)
	o = append(o, member{"items", items}) // kept when {}: items of any kind
	o.set("minItems", intPtr(s.Rules.MinItems))
	o.set("maxItems", intPtr(s.Rules.MaxItems))
	return o, nil
}

// objectSchema is a closed object: the runtime and the JS client reject
// keys the spec does not declare (detail rule unknown).
func objectSchema(s *spec.Schema) (obj, error) {
	var props obj
	var required []string
	for _, f := range s.Fields {
		fs, err := jsonSchema(f.Schema)
		if err != nil {
			return nil, err
		}
		if f.Required {
			fs = notNull(f.Schema, fs)
			required = append(required, f.Name)
		}
		props = append(props, member{f.Name, fs})
	}
	o := obj{{"type", "object"}}
	o.set("title", s.GoName)
	o.set("description", s.Doc)
	if props == nil {
		props = obj{}
	}
	o = append(o, member{"properties", props})
	o.set("required", required)
	o = append(o, member{"additionalProperties", false})
	return o, nil
}

// mapSchema is a map as an object of arbitrary keys: its values'
// schema is additionalProperties, keyPattern is propertyNames' pattern.
func mapSchema(s *spec.Schema) (obj, error) {
	values, err := jsonSchema(s.Values)
	if err != nil {
		return nil, err
	}
	o := obj{{"type", "object"}}
	o.set("title", s.GoName)
	o.set("description", s.Doc)
	o = append(o, member{"additionalProperties", values}) // kept when {}: values of any kind
	o.set("minProperties", intPtr(s.Rules.MinProperties))
	o.set("maxProperties", intPtr(s.Rules.MaxProperties))
	if s.Rules.JSKeyPattern != "" {
		o = append(o, member{"propertyNames", obj{{"pattern", s.Rules.JSKeyPattern}}})
	}
	return o, nil
}

// argsSchema is an event's positional arguments as a tuple: socket.emit
// sends them as separate elements of the event packet's array.
func argsSchema(args []*spec.Field) (obj, error) {
	items := make([]any, 0, len(args))
	required := 0
	for i, a := range args {
		s, err := jsonSchema(a.Schema)
		if err != nil {
			return nil, err
		}
		label := fmt.Sprintf("Argument %d, %s.", i+1, a.Name)
		if d := descriptionOf(s); d != "" {
			label += " " + d
		}
		switch {
		case a.Required:
			required++
			items = append(items, withDescription(notNull(a.Schema, s), label))
		case a.Schema.Resolve().Kind == spec.KindAny:
			items = append(items, withDescription(s, label)) // {} admits null already
		default:
			// An optional argument before a given one is null on the wire
			// (Go's nil, JS's undefined), and the server takes null as absent.
			items = append(items, obj{{"description", label + " null when left out."}, {"anyOf", []any{withoutDescription(s), obj{{"type", "null"}}}}})
		}
	}
	return obj{
		{"type", "array"},
		{"description", "The event's arguments, in order: socket.emit(name, ...args). Optional ones may be left out at the end."},
		{"items", items},
		{"minItems", required},
		{"maxItems", len(args)},
		{"additionalItems", false},
	}, nil
}

func descriptionOf(o obj) string {
	for _, m := range o {
		if m.key == "description" {
			s, _ := m.value.(string)
			return s
		}
	}
	return ""
}

// notNull marks a use of sc that may not be null: the runtime refuses null
// for a required field or argument, a payload and an ack reply, which
// only an any schema ({}) would otherwise admit. Array items and map
// values of any may be null, so they are left as they are.
func notNull(sc *spec.Schema, o obj) obj {
	if sc.Resolve().Kind != spec.KindAny {
		return o
	}
	not := member{"not", obj{{"type", "null"}}}
	if len(o) > 0 && o[0].key == "$ref" { // draft-07 ignores a $ref's siblings
		return obj{{"allOf", []any{o}}, not}
	}
	return append(o, not)
}

// withoutDescription is o without its description (its holder has one).
func withoutDescription(o obj) obj {
	out := make(obj, 0, len(o))
	for _, m := range o {
		if m.key != "description" {
			out = append(out, m)
		}
	}
	return out
}

// withDescription sets o's description, wrapping a bare $ref (whose
// siblings draft-07 ignores) in allOf.
func withDescription(o obj, d string) obj {
	if len(o) > 0 && o[0].key == "$ref" {
		return obj{{"description", d}, {"allOf", []any{o}}}
	}
	out := make(obj, 0, len(o)+1)
	done := false
	for _, m := range o {
		if m.key == "description" {
			m.value, done = d, true
		}
		out = append(out, m)
	}
	if !done {
		// After type (and title), where a description sits elsewhere.
		at := min(1, len(out)) // an any schema has no type
		if len(out) > 1 && out[1].key == "title" {
			at = 2
		}
		out = append(out[:at], append(obj{{"description", d}}, out[at:]...)...)
	}
	return out
}

func jsonFormat(f spec.Format) string {
	switch f {
	case spec.FormatEmail:
		return "email"
	case spec.FormatURL:
		return "uri"
	case spec.FormatUUID:
		return "uuid"
	case spec.FormatDateTime:
		return "date-time"
	}
	return ""
}

func stringEnum(vals []string) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// integerEnum parses an integer enum's canonical decimal values.
func integerEnum(vals []string) ([]any, error) {
	out := make([]any, len(vals))
	for i, v := range vals {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("enum value %q is not an integer", v)
		}
		out[i] = n
	}
	return out, nil
}

func intPtr(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// number keeps whole bounds integers, so they print as 100, not 100.0.
func number(p *float64) any {
	switch {
	case p == nil:
		return nil
	case *p == math.Trunc(*p) && math.Abs(*p) < 1<<53:
		return int64(*p)
	}
	return *p
}

func byteBounds(r spec.Rules) string {
	switch {
	case r.MinBytes != nil && r.MaxBytes != nil:
		return fmt.Sprintf(" Size: %d to %d bytes.", *r.MinBytes, *r.MaxBytes)
	case r.MinBytes != nil:
		return fmt.Sprintf(" Size: at least %d bytes.", *r.MinBytes)
	case r.MaxBytes != nil:
		return fmt.Sprintf(" Size: at most %d bytes.", *r.MaxBytes)
	}
	return ""
}

// joinDoc joins non-empty paragraphs.
func joinDoc(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "\n\n")
}
