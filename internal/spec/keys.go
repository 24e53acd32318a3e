package spec

import (
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The keys each mapping of events.yaml accepts. They are functions, not
// package variables, so no caller can change them.

func topKeys() []string { return []string{"version", "types", "auth", "events", "namespaces"} }

func namespaceKeys() []string { return []string{"doc", "auth", "events"} }

func eventKeys() []string { return []string{"direction", "doc", "payload", "args", "ack"} }

func ruleKeys() []string {
	return []string{"minLength", "maxLength", "min", "max", "pattern", "enum", "format", "minItems", "maxItems", "minBytes", "maxBytes",
		"minProperties", "maxProperties", "keyPattern"}
}

func schemaKeys() []string {
	return append([]string{"type", "doc", "fields", "items", "values"}, ruleKeys()...)
}

func fieldKeys() []string { return append(schemaKeys(), "required") }

// keySynonyms maps words people bring from JSON Schema, OpenAPI or habit to
// the key events.yaml uses; edit distance alone would not find these.
func keySynonyms() map[string]string {
	return map[string]string{
		"properties": "fields", "props": "fields", "members": "fields",
		"description": "doc", "desc": "doc", "comment": "doc", "summary": "doc",
		"minimum": "min", "maximum": "max", "minlen": "minLength", "maxlen": "maxLength",
		"regex": "pattern", "regexp": "pattern", "match": "pattern",
		"item": "items", "elements": "items", "of": "items",
		"optional": "required", "require": "required",
		"dir": "direction", "from": "direction", "to": "direction", "sender": "direction",
		"data": "payload", "arg": "args", "arguments": "args", "params": "args", "parameters": "args",
		"body": "payload", "message": "payload", "schema": "payload",
		"reply": "ack", "response": "ack", "result": "ack",
		"oneof": "enum", "choices": "enum", "allowed": "enum",
		"authentication": "auth", "credentials": "auth", "handshake": "auth", "login": "auth",
		"nsps": "namespaces", "nsp": "namespaces", "channels": "namespaces",
		"additionalproperties": "values", "propertynames": "keyPattern", "patternproperties": "keyPattern",
		"minentries": "minProperties", "maxentries": "maxProperties", "minkeys": "minProperties", "maxkeys": "maxProperties",
		"definitions": "types", "defs": "types", "$defs": "types", "schemas": "types", "models": "types",
	}
}

// suggestKey names the allowed key that key most likely meant, or "": a
// near allowed key, else what a (near) synonym stands for.
func suggestKey(key string, allowed []string) string {
	if s := jsonSchemaKey(key, allowed); s != "" {
		return s
	}
	if s := closest(key, allowed); s != "" {
		return s
	}
	synonyms := keySynonyms()
	w := strings.ToLower(key)
	if synonyms[w] == "" {
		w = closest(w, slices.Sorted(maps.Keys(synonyms)))
	}
	if target := synonyms[w]; target != "" && slices.Contains(allowed, target) {
		return target
	}
	return ""
}

// entry is one key/value pair of a YAML mapping.
type entry struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// entries returns the pairs of mapping n in document order. yaml.v3 keeps
// duplicate keys in a yaml.Node, so duplicates are found here, reported with
// both positions, and dropped (the first one wins). what names the keys in
// messages: "key", "event", "field", "type".
func (p *parser) entries(n *yaml.Node, what string) []entry {
	out := make([]entry, 0, len(n.Content)/2)
	first := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.add(k, what+" names must be plain strings", "")
			continue
		}
		if prev, dup := first[k.Value]; dup {
			p.add(k, "duplicate "+what+" "+quote(k.Value), "first defined at "+p.pos(prev).String())
			continue
		}
		first[k.Value] = k
		out = append(out, entry{key: k.Value, k: k, v: v})
	}
	return out
}

// checkKeys reports every key of es not in allowed; where says which mapping
// it is in ("event \"link\"").
func (p *parser) checkKeys(es []entry, allowed []string, where string) {
	for _, e := range es {
		if slices.Contains(allowed, e.key) {
			continue
		}
		if e.k.ShortTag() == "!!merge" {
			p.add(e.k, "YAML merge keys (<<) are not supported", "write the keys out, or declare a named type under types:")
			continue
		}
		if e.key == "required" {
			p.add(e.k, `"required" is only allowed on the fields of an object`,
				"payloads, items and types are always present when their parent is")
			continue
		}
		fix := "allowed keys: " + strings.Join(allowed, ", ")
		if s := suggestKey(e.key, allowed); s != "" {
			fix = mapKeyFix(e.key, s, value(es, "type"))
		}
		p.add(e.k, "unknown key "+quote(e.key)+" in "+where, fix)
	}
}

// value returns the value of key in es, or nil when it is absent.
func value(es []entry, key string) *yaml.Node {
	for _, e := range es {
		if e.key == key {
			return e.v
		}
	}
	return nil
}

// keyNode returns the key node of key in es, or nil when it is absent.
func keyNode(es []entry, key string) *yaml.Node {
	for _, e := range es {
		if e.key == key {
			return e.k
		}
	}
	return nil
}

// mapKeyFix is the fix for key, which most likely meant suggested, in a
// mapping whose type is t. JSON Schema's additionalProperties and
// patternProperties suggest values and keyPattern, which only a map takes:
// on any other type the fix says so rather than suggest a key that would
// be refused next.
func mapKeyFix(key, suggested string, t *yaml.Node) string {
	fix := "did you mean " + quote(suggested) + "?"
	if suggested != "values" && suggested != "keyPattern" || t == nil || t.Kind != yaml.ScalarNode {
		return fix
	}
	switch {
	case t.Value == "map" && strings.EqualFold(key, "patternProperties"):
		return fix + ` keyPattern: "^[a-z]+$" checks a map's keys, and values: {type: string} its entries`
	case t.Value == "map":
		return fix
	case t.Value == "object" && suggested == "keyPattern":
		return "an object refuses unknown keys by itself; for keys that match a pattern use type: map with keyPattern: \"^[a-z]+$\" and values: {type: string}"
	case t.Value == "object":
		return "an object refuses unknown keys by itself; for arbitrary keys use type: map with values: {type: string}"
	}
	return suggested + " applies to maps: for arbitrary keys use type: map with values: {type: string}"
}
