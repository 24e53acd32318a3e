package spec

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// values reads a map's value schema, which every map must have.
func (p *parser) values(m, n *yaml.Node, s *Schema, ctx schemaCtx) {
	if n == nil {
		p.add(m, ctx.where()+" is a map and needs values", "add values: {type: string}")
		return
	}
	vctx := schemaCtx{root: ctx.root, path: ctx.path + "{}", goType: ctx.goType + "Value"}
	s.Values = p.schema(n, vctx)
}

// mapRuleHint points a key that does not apply to kind k at what was
// probably meant when maps are involved; "" when they are not.
func mapRuleHint(key string, k Kind) string {
	switch {
	case key == "values" && (k == KindString || k == KindInteger):
		return `values applies to maps; for a list of allowed values write enum: [a, b]`
	case key == "values" && k == KindObject:
		return "values applies to maps: for arbitrary keys write type: map with values: {type: string}; an object lists its fields"
	case key == "values":
		return "values applies to maps: type: map, values: {type: string}"
	case key == "fields" && k == KindMap:
		return "a map's entries share one schema: write values: {type: string}; for fixed keys use type: object with fields"
	case key == "items" && k == KindMap:
		return "a map has values, not items: values: {type: string}"
	case (key == "minItems" || key == "maxItems" || key == "minLength" || key == "maxLength") && k == KindMap:
		return "maps use minProperties and maxProperties"
	case key == "pattern" && k == KindMap:
		return "keyPattern checks a map's keys; a pattern for its values goes in values"
	case key == "minProperties" || key == "maxProperties" || key == "keyPattern":
		return key + " applies to maps"
	}
	return ""
}

// checkBytesInMaps refuses bytes in a map's values, directly or through
// named types. Binary attachments are placed, on both sides, at the fields
// and array items the schema names (see bytes in docs/EVENTS.md); a map's
// keys are only known at run time, so there is no place to put them.
func (p *parser) checkBytesInMaps(s *Spec) {
	var walk func(*Schema)
	walk = func(sc *Schema) {
		if sc == nil || sc.Kind == KindRef {
			return // a named type is checked at its definition
		}
		if sc.Kind == KindMap && sc.Values != nil && holdsBytes(sc.Values, map[*NamedType]bool{}) {
			p.addAt(sc.Values.Pos, "the values of a map cannot hold bytes: binary attachments travel only in fields and array items",
				"use an array of objects with a key field and a bytes field, e.g. items: {type: object, fields: {key: {type: string}, data: {type: bytes}}}")
		}
		for _, f := range sc.Fields {
			walk(f.Schema)
		}
		walk(sc.Items)
		walk(sc.Values)
	}
	for _, t := range s.Types {
		walk(t.Schema)
	}
	walkEvents := func(auth *Schema, events []*Event) {
		walk(auth)
		for _, e := range events {
			walk(e.Payload)
			for _, a := range e.Args {
				walk(a.Schema)
			}
			walk(e.Ack)
		}
	}
	walkEvents(s.Auth, s.Events)
	for _, ns := range s.Namespaces {
		walkEvents(ns.Auth, ns.Events)
	}
}

// jsonSchemaKey is the events.yaml key for a JSON Schema key that names an
// object's members or a map's entries (properties, additionalProperties),
// which edit distance alone would match to minProperties or maxProperties.
func jsonSchemaKey(key string, allowed []string) string {
	var target string
	switch key {
	case "properties":
		target = "fields"
	case "additionalProperties":
		target = "values"
	case "patternProperties", "propertyNames":
		target = "keyPattern"
	}
	if target != "" && slices.Contains(allowed, target) {
		return target
	}
	return ""
}
