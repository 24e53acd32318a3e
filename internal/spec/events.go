package spec

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

func directions() []string { return []string{string(ToClient), string(ToServer), string(Both)} }

// events reads an events mapping: the top-level one, or a namespace's;
// prefix (the namespace's GoName, or "") starts its Go type names.
func (p *parser) events(root, n *yaml.Node, prefix string) []*Event {
	if n == nil {
		p.add(root, "missing events", "add an events: mapping with at least one event")
		return nil
	}
	if n.ShortTag() == tagNull || (n.Kind == yaml.MappingNode && len(n.Content) == 0) {
		p.add(n, "events must define at least one event", "")
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "events must be a mapping of event names to events, not a "+nodeKind(n), "")
		return nil
	}
	es := p.entries(n, "event")
	byGo := map[string]*Event{}
	out := make([]*Event, 0, len(es))
	for _, e := range es {
		ev := p.event(e, prefix)
		if ev == nil {
			continue
		}
		if prev, taken := byGo[ev.GoName]; taken {
			p.add(e.k, "events "+quote(prev.Name)+" and "+quote(ev.Name)+" both have the Go name "+ev.GoName,
				quote(prev.Name)+" is at "+prev.Pos.String()+"; rename one of them")
		} else {
			byGo[ev.GoName] = ev
		}
		out = append(out, ev)
	}
	return out
}

// event reads one event; it returns nil when its name is unusable (the
// error is reported), since nothing can be generated for it.
func (p *parser) event(e entry, prefix string) *Event {
	if !isEventName(e.key) {
		p.add(e.k, "invalid event name "+quote(e.key),
			"start with a letter; then use letters, digits and _ . : -")
		return nil
	}
	ev := &Event{Name: e.key, GoName: goName(e.key), Pos: p.pos(e.k)}
	if why := reservedEvent(e.key); why != "" {
		p.add(e.k, "event name "+quote(e.key)+" cannot be used: "+why, "rename the event")
	}
	where := "event " + quote(e.key)
	if e.v.Kind != yaml.MappingNode {
		p.add(e.v, where+" must be a mapping with direction, doc, payload or args, and ack, not a "+nodeKind(e.v), "")
		return ev
	}
	es := p.entries(e.v, "key")
	p.checkKeys(es, eventKeys(), where)
	ev.Direction = p.direction(e.v, value(es, "direction"), where)
	ev.Doc = p.docText(value(es, "doc"))
	payload, args := value(es, "payload"), value(es, "args")
	switch {
	case payload != nil && args != nil:
		p.add(keyNode(es, "args"), where+" has both payload and args",
			"use payload for one argument, args for several positional arguments")
	case payload != nil:
		ev.Payload = p.schema(payload, schemaCtx{root: "the payload of " + where, goType: prefix + ev.GoName})
	case args != nil:
		ev.Args = p.args(args, ev, where, prefix)
	}
	if n := value(es, "ack"); n != nil {
		ev.Ack = p.schema(n, schemaCtx{root: "the ack of " + where, goType: prefix + ev.GoName + "Ack"})
	}
	return ev
}

func (p *parser) direction(parent, n *yaml.Node, where string) Direction {
	if n == nil {
		p.add(parent, where+" is missing direction", "add direction: to_client, to_server or both")
		return ""
	}
	s, ok := p.str(n, "direction")
	if !ok {
		return ""
	}
	if slices.Contains(directions(), s) {
		return Direction(s)
	}
	fix := didYouMean(s, directions())
	if fix == "" {
		fix = "use to_client, to_server or both"
	}
	p.add(n, "invalid direction "+quote(s), fix)
	return ""
}

// namedTypes reads the top-level types mapping in two passes: every name is
// declared first, so schemas may refer to types written after them.
func (p *parser) namedTypes(n *yaml.Node) []*NamedType {
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "types must be a mapping of type names to schemas, not a "+nodeKind(n), "")
		return nil
	}
	es := p.entries(n, "type")
	var out []*NamedType
	var bodies []*yaml.Node
	for _, e := range es {
		if t := p.declareType(e); t != nil {
			out = append(out, t)
			bodies = append(bodies, e.v)
		}
	}
	for i, t := range out {
		t.Schema = p.schema(bodies[i], schemaCtx{root: "type " + quote(t.Name), goType: t.GoName, named: t})
		if t.Schema != nil {
			t.Doc = t.Schema.Doc
		}
	}
	return out
}

// declareType checks a type's name and records it; nil when it is unusable.
func (p *parser) declareType(e entry) *NamedType {
	switch {
	case isBuiltin(e.key):
		p.add(e.k, "type name "+quote(e.key)+" is a built-in type", "named types are UpperCamel, e.g. "+quote(goName(e.key)))
		return nil
	case !isTypeName(e.key):
		fix := "start with an upper-case letter; then use letters and digits"
		if g := goName(e.key); isTypeName(g) {
			fix = "did you mean " + quote(g) + "?"
		}
		p.add(e.k, "type name "+quote(e.key)+" must be UpperCamel", fix)
		return nil
	}
	t := &NamedType{Name: e.key, GoName: e.key, Pos: p.pos(e.k)}
	p.types[e.key] = t
	p.claimGoType(t.GoName, "type "+quote(t.Name), t.Pos)
	return t
}
