package codegen

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// jsNode is a schema node as the JS validators read it (SchemaNode in the
// runtime); named types are inlined. Rule arguments are the strings the Go
// validator tags carry, so details quote the same param.
type jsNode struct {
	Type      string    `json:"type"`
	Fields    []jsField `json:"fields,omitempty"`
	Items     *jsNode   `json:"items,omitempty"`
	MinLength string    `json:"minLength,omitempty"`
	MaxLength string    `json:"maxLength,omitempty"`
	Min       string    `json:"min,omitempty"`
	Max       string    `json:"max,omitempty"`
	Enum      []string  `json:"enum,omitempty"`
	Pattern   string    `json:"pattern,omitempty"`
	Format    string    `json:"format,omitempty"`
	MinItems  string    `json:"minItems,omitempty"`
	MaxItems  string    `json:"maxItems,omitempty"`
	MinBytes  string    `json:"minBytes,omitempty"`
	MaxBytes  string    `json:"maxBytes,omitempty"`

	Values        *jsNode `json:"values,omitempty"`
	MinProperties string  `json:"minProperties,omitempty"`
	MaxProperties string  `json:"maxProperties,omitempty"`
	KeyPattern    string  `json:"keyPattern,omitempty"`
}

type jsField struct {
	Name     string  `json:"name"`
	Required bool    `json:"required"`
	Schema   *jsNode `json:"schema"`
}

func jsNodeOf(s *spec.Schema) *jsNode {
	s = s.Resolve()
	r := s.Rules
	n := &jsNode{
		Type:      string(s.Kind),
		MinLength: intParam(r.MinLength), MaxLength: intParam(r.MaxLength),
		Min: floatParam(r.Min), Max: floatParam(r.Max),
		Enum: r.Enum, Pattern: r.Pattern, Format: string(r.Format),
		MinItems: intParam(r.MinItems), MaxItems: intParam(r.MaxItems),
		MinBytes: intParam(r.MinBytes), MaxBytes: intParam(r.MaxBytes),
	}
	for _, f := range s.Fields {
		n.Fields = append(n.Fields, jsField{Name: f.Name, Required: f.Required, Schema: jsNodeOf(f.Schema)})
	}
	if s.Items != nil {
		n.Items = jsNodeOf(s.Items)
	}
	if s.Values != nil {
		n.Values = jsNodeOf(s.Values)
		n.MinProperties, n.MaxProperties = intParam(r.MinProperties), intParam(r.MaxProperties)
		n.KeyPattern = r.KeyPattern
	}
	return n
}

// jsNodeText is the node as an indented object literal (JSON is one).
func jsNodeText(s *spec.Schema) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(jsNodeOf(s)) // strings and slices only: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

// jsArgsText is an event's arguments as the list of fields checkArgs reads.
func jsArgsText(args []*spec.Field) string {
	fields := make([]jsField, len(args))
	for i, a := range args {
		fields[i] = jsField{Name: a.Name, Required: a.Required, Schema: jsNodeOf(a.Schema)}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(fields) // strings and slices only: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}
