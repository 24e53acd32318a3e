package spec

import "testing"

// checkMapSchema checks what Parse promises of a map: values, no bytes in
// them, and rules that are consistent and translated for JavaScript.
func checkMapSchema(t *testing.T, s *Schema) {
	t.Helper()
	r := s.Rules
	switch {
	case s.Values == nil:
		t.Fatal("map without values")
	case holdsBytes(s.Values, map[*NamedType]bool{}):
		t.Fatal("map whose values hold bytes")
	case r.MinProperties != nil && r.MaxProperties != nil && *r.MinProperties > *r.MaxProperties:
		t.Fatalf("minProperties %d above maxProperties %d", *r.MinProperties, *r.MaxProperties)
	case (r.KeyPattern == "") != (r.JSKeyPattern == ""):
		t.Fatalf("keyPattern %q without its JavaScript form %q", r.KeyPattern, r.JSKeyPattern)
	}
}

func TestMapGoNames(t *testing.T) {
	s, err := Parse("m.yaml", []byte(`version: 1
types:
  Tags: {type: map, values: {type: object, fields: {n: {type: string}}}}
events:
  e:
    direction: to_server
    payload:
      type: object
      fields:
        m: {type: map, values: {type: map, values: {type: string, enum: [a, b]}}}
        t: {type: Tags}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Types[0].Schema.Values.GoName; got != "TagsValue" {
		t.Errorf("values of type Tags: Go name %q, want TagsValue", got)
	}
	m := s.Events[0].Payload.Fields[0].Schema
	if got := m.Values.Values.GoName; got != "EMValueValue" {
		t.Errorf("values of values of field m: Go name %q, want EMValueValue", got)
	}
}
