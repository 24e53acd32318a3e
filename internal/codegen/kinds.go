package codegen

import (
	"slices"

	"github.com/eventwire/eventwire/internal/spec"
)

// isDateTime reports a string with format: date-time, a time.Time in Go.
func isDateTime(s *spec.Schema) bool {
	return s.Kind == spec.KindString && s.Rules.Format == spec.FormatDateTime
}

// aliasKind reports a named type's definition that must be an alias of its
// Go type rather than a new type: a new type over time.Time or
// json.RawMessage would lose their JSON methods (a json.RawMessage would
// encode as base64).
func aliasKind(s *spec.Schema) bool { return isDateTime(s) || s.Kind == spec.KindAny }

// kindImports adds "time" and "encoding/json" to imports when some schema
// of s is a date-time or an any; go/format sorts the imports.
func kindImports(s *spec.Spec, imports []string) []string {
	var dateTime, anyKind bool
	var visit func(*spec.Schema)
	visit = func(sc *spec.Schema) {
		if sc == nil {
			return
		}
		dateTime = dateTime || isDateTime(sc)
		anyKind = anyKind || sc.Kind == spec.KindAny
		for _, f := range sc.Fields {
			visit(f.Schema)
		}
		visit(sc.Items)
		visit(sc.Values)
	}
	for _, t := range s.Types {
		visit(t.Schema)
	}
	events := func(auth *spec.Schema, es []*spec.Event) {
		visit(auth)
		for _, e := range es {
			visit(e.Payload)
			visit(e.Ack)
			for _, a := range e.Args {
				visit(a.Schema)
			}
		}
	}
	events(s.Auth, s.Events)
	for _, ns := range s.Namespaces {
		events(ns.Auth, ns.Events)
	}
	add := func(path string) {
		if !slices.Contains(imports, path) {
			imports = append(imports, path)
		}
	}
	if anyKind {
		add(`"encoding/json"`)
	}
	if dateTime {
		add(`"time"`)
	}
	return imports
}
