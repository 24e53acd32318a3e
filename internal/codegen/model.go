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

// decl is one type the generated code declares: a named type, or an object
// (or array item object) that sits inside a payload or another type.
type decl struct {
	name   string
	schema *spec.Schema
	// what finishes the sentence "<name> is ...": "the payload of chat".
	what string
	doc  string
	pos  spec.Pos
}

// reservedClientNames are the type names the JS client and its .d.ts
// declare themselves; a spec type of the same name would clash.
func reservedClientNames() []string {
	return []string{
		"Client", "ClientToServerEvents", "ConnectOptions", "Detail", "EventwireConnection",
		"EventwireError", "PendingAck", "SchemaField", "SchemaNode", "ServerToClientEvents",
		"WebSocketConstructor", "WebSocketLike",
	}
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
	for _, e := range s.Events {
		if e.Ack != nil {
			return nil, fmt.Errorf("eventwire: codegen: %s: event %s: typed ack replies are not generated yet; remove its ack", e.Pos, e.Name)
		}
		if e.Payload == nil {
			continue
		}
		m.add(e.Payload, "the payload of "+e.Name, cmpOr(e.Payload.Doc, e.Doc))
		m.patterns.collect(e.Payload)
	}
	return m, m.checkNames()
}

// add declares s when it is an inline object, then what sits inside it.
func (m *model) add(s *spec.Schema, what, doc string) {
	if s.Kind == spec.KindObject {
		m.decls = append(m.decls, decl{name: s.GoName, schema: s, what: what, doc: doc, pos: s.Pos})
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
	}
}

// checkNames catches what the spec cannot know: a type named like one of
// the JS client's own declarations.
func (m *model) checkNames() error {
	for _, d := range m.decls {
		if slices.Contains(reservedClientNames(), d.name) {
			return fmt.Errorf("eventwire: codegen: %s: type name %s is reserved: the JS client declares %s; rename it (reserved: %s)",
				d.pos, d.name, d.name, strings.Join(reservedClientNames(), ", "))
		}
	}
	return nil
}

// inbound are the events clients send, outbound those the server sends.
func (m *model) inbound() []*spec.Event {
	return filter(m.spec.Events, func(e *spec.Event) bool { return e.Direction.ClientSends() })
}

func (m *model) outbound() []*spec.Event {
	return filter(m.spec.Events, func(e *spec.Event) bool { return e.Direction.ServerSends() })
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
