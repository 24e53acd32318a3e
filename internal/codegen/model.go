package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// model is what every file is rendered from: the spec plus what is derived
// from it once (declared types in output order, pattern tags).
type model struct {
	spec     *spec.Spec
	opts     Options
	decls    []decl
	patterns *patterns
}

// decl is one type the generated code declares: a named type, the auth
// payload, or an object (or array item object) that sits inside a payload,
// an ack or another type.
type decl struct {
	name   string
	schema *spec.Schema
	// what finishes the sentence "<name> is ...": "the payload of chat".
	what string
	doc  string
	pos  spec.Pos
	// alias declares name as another name of the type schema refers to
	// (type Auth = Profile), for an auth schema that names an object type.
	alias bool
	// goOnly is an inline enum: Go declares it as a type with constants,
	// TypeScript writes its union of literals where it is used.
	goOnly bool
}

func newModel(s *spec.Spec, opts Options) (*model, error) {
	m := &model{spec: s, opts: opts, patterns: newPatterns()}
	for _, t := range s.Types {
		if t.Schema == nil {
			return nil, fmt.Errorf("eventwire: codegen: %s: type %s has no schema", t.Pos, t.Name)
		}
		m.decls = append(m.decls, decl{name: t.GoName, schema: t.Schema,
			what: "a named type of " + opts.Source, doc: t.Doc, pos: t.Pos})
		m.children(t.Schema, t.GoName)
		m.patterns.collect(t.Schema)
	}
	m.addAuth(s.Auth, spec.AuthGoName, "")
	m.addEvents(s.Events)
	for _, ns := range s.Namespaces {
		m.addAuth(ns.Auth, ns.GoName+spec.AuthGoName, " of namespace "+ns.Name)
		m.addEvents(ns.Events)
	}
	return m, m.patterns.check()
}

// addEvents declares the types of events' payloads, arguments and acks.
func (m *model) addEvents(events []*spec.Event) {
	for _, e := range events {
		if e.Payload != nil {
			m.add(e.Payload, "the payload of "+e.Name, cmpOr(e.Payload.Doc, e.Doc))
			m.patterns.collect(e.Payload)
		}
		for _, a := range e.Args {
			m.add(a.Schema, "the argument "+a.Name+" of "+e.Name, a.Schema.Doc)
			m.patterns.collect(a.Schema)
		}
		if e.Ack != nil {
			m.add(e.Ack, "the ack reply of "+e.Name, e.Ack.Doc)
			m.patterns.collect(e.Ack)
		}
	}
}

// addAuth declares the auth payload's type: a struct named name (Auth, or
// a namespace's AdminAuth), or the alias name of the named type it refers
// to (none when that type is name itself).
func (m *model) addAuth(a *spec.Schema, name, of string) {
	what := "the auth payload clients send in the Socket.IO CONNECT packet" + of
	switch {
	case a == nil:
	case a.Kind == spec.KindRef && a.RefType.GoName != name:
		m.decls = append(m.decls, decl{name: name, schema: a, what: what, doc: a.Doc, pos: a.Pos, alias: true})
	case a.Kind == spec.KindObject:
		m.add(a, what, a.Doc)
		m.patterns.collect(a)
	}
}

// add declares s when it is an inline object or enum, then what sits
// inside it.
func (m *model) add(s *spec.Schema, what, doc string) {
	if s.Kind == spec.KindObject || isEnum(s) {
		m.decls = append(m.decls, decl{name: s.GoName, schema: s, what: what, doc: doc, pos: s.Pos, goOnly: isEnum(s)})
		what = s.GoName
	}
	m.children(s, what)
}

// children declares the inline objects in the fields or items of s; owner
// names s in their comments.
func (m *model) children(s *spec.Schema, owner string) {
	switch s.Kind {
	case spec.KindObject:
		for _, f := range s.Fields {
			m.add(f.Schema, "the "+f.Name+" field of "+s.GoName, "")
		}
	case spec.KindArray:
		m.add(s.Items, "an item of "+owner, s.Items.Doc)
	case spec.KindMap:
		m.add(s.Values, "a value of "+owner, s.Values.Doc)
	}
}

// inbound are the events clients send, outbound those the server sends.
func inbound(events []*spec.Event) []*spec.Event {
	return filter(events, func(e *spec.Event) bool { return e.Direction.ClientSends() })
}

func outbound(events []*spec.Event) []*spec.Event {
	return filter(events, func(e *spec.Event) bool { return e.Direction.ServerSends() })
}

func filter(events []*spec.Event, keep func(*spec.Event) bool) []*spec.Event {
	var out []*spec.Event
	for _, e := range events {
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// hasAcks reports whether any event has a typed ack reply.
func (m *model) hasAcks() bool {
	hasAck := func(e *spec.Event) bool { return e.Ack != nil }
	if slices.ContainsFunc(m.spec.Events, hasAck) {
		return true
	}
	return slices.ContainsFunc(m.spec.Namespaces, func(ns *spec.Namespace) bool {
		return slices.ContainsFunc(ns.Events, hasAck)
	})
}

// eventDoc is the doc of an event's methods: the event's, else its payload's.
func eventDoc(e *spec.Event) string {
	if e.Doc == "" && e.Payload != nil {
		return e.Payload.Doc
	}
	return e.Doc
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// docLines splits a doc string into lines without trailing blanks.
func docLines(doc string) []string {
	if doc == "" {
		return nil
	}
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r")
	}
	return lines
}
