package codegen

import (
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// shapeExpr is the Go expression of the middleware.Shape of s. A named type
// is a call of its shape function, so each type's shape is written once.
func shapeExpr(s *spec.Schema) string {
	switch s.Kind {
	case spec.KindRef:
		return shapeFunc(s.RefType) + "()"
	case spec.KindArray:
		return "&middleware.Shape{Kind: middleware.KindArray, Items: " + shapeExpr(s.Items) + "}"
	case spec.KindMap:
		return "&middleware.Shape{Kind: middleware.KindMap, Values: " + shapeExpr(s.Values) + "}"
	case spec.KindObject:
		var b strings.Builder
		b.WriteString("&middleware.Shape{\nKind: middleware.KindObject,\nFields: []middleware.FieldShape{\n")
		for _, f := range s.Fields {
			b.WriteString("{Name: " + strconv.Quote(f.Name))
			if f.Required {
				b.WriteString(", Required: true")
			}
			b.WriteString(", Shape: " + shapeExpr(f.Schema) + "},\n")
		}
		b.WriteString("},\n}")
		return b.String()
	}
	if isDateTime(s) {
		return "&middleware.Shape{Kind: middleware.KindString, Format: middleware.FormatDateTime}"
	}
	return "&middleware.Shape{Kind: " + shapeKind(s.Kind) + "}"
}

func shapeKind(k spec.Kind) string {
	switch k {
	case spec.KindString:
		return "middleware.KindString"
	case spec.KindInteger:
		return "middleware.KindInteger"
	case spec.KindNumber:
		return "middleware.KindNumber"
	case spec.KindBytes:
		return "middleware.KindBytes"
	case spec.KindAny:
		return "middleware.KindAny"
	}
	return "middleware.KindBoolean"
}

// shapeFunc names the generated function returning a named type's shape.
func shapeFunc(t *spec.NamedType) string { return "shape" + t.GoName }

// usedTypes are the named types the shapes of the auth payload, the events'
// payloads and their acks reach, directly or through other named types, in
// the spec's order (by name).
func usedTypes(s *spec.Spec) []*spec.NamedType {
	used := map[*spec.NamedType]bool{}
	var visit func(*spec.Schema)
	visit = func(sc *spec.Schema) {
		if sc == nil {
			return
		}
		if sc.Kind == spec.KindRef && !used[sc.RefType] {
			used[sc.RefType] = true
			visit(sc.RefType.Schema)
		}
		for _, f := range sc.Fields {
			visit(f.Schema)
		}
		visit(sc.Items)
		visit(sc.Values)
	}
	visitEvents := func(auth *spec.Schema, events []*spec.Event) {
		visit(auth)
		for _, e := range events {
			visit(e.Payload)
			for _, a := range e.Args {
				visit(a.Schema)
			}
			visit(e.Ack)
		}
	}
	visitEvents(s.Auth, s.Events)
	for _, ns := range s.Namespaces {
		visitEvents(ns.Auth, ns.Events)
	}
	var out []*spec.NamedType
	for _, t := range s.Types {
		if used[t] {
			out = append(out, t)
		}
	}
	return out
}
