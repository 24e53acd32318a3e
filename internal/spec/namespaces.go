package spec

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// namespaceFix shows what a namespace looks like.
const namespaceFix = `e.g. namespaces: {"/admin": {doc: ..., events: {kick: {direction: to_server, payload: {type: string}}}}}`

// namespaceGoSuffixes are the Go type names generated code declares per
// namespace (GoName + suffix); each is claimed so no type collides.
func namespaceGoSuffixes() []string {
	return []string{"Broadcaster", "Client", "ClientToServerEvents", "Conn", "Handler", "Namespace", "ServerToClientEvents"}
}

// namespaces reads the top-level namespaces mapping: name -> {doc, auth,
// events}. types bounds reference chains (see auth).
func (p *parser) namespaces(n *yaml.Node, types int) []*Namespace {
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "namespaces must be a mapping of namespace names to namespaces, not a "+nodeKind(n), namespaceFix)
		return nil
	}
	byGo := map[string]*Namespace{}
	var out []*Namespace
	for _, e := range p.entries(n, "namespace") {
		ns := p.namespace(e, types)
		if ns == nil {
			continue
		}
		if prev, taken := byGo[ns.GoName]; taken {
			p.add(e.k, "namespaces "+quote(prev.Name)+" and "+quote(ns.Name)+" both have the Go name "+ns.GoName,
				quote(prev.Name)+" is at "+prev.Pos.String()+"; rename one of them")
			continue
		}
		byGo[ns.GoName] = ns
		for _, suffix := range namespaceGoSuffixes() {
			p.claimGoType(ns.GoName+suffix, "namespace "+quote(ns.Name), ns.Pos)
		}
		out = append(out, ns)
	}
	slices.SortFunc(out, func(a, b *Namespace) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// namespace reads one namespace; nil when its name is unusable.
func (p *parser) namespace(e entry, types int) *Namespace {
	switch {
	case e.key == "/":
		p.add(e.k, `namespace "/" is the main namespace`, "declare its events under the top-level events:")
		return nil
	case !isNamespaceName(e.key):
		p.add(e.k, "invalid namespace name "+quote(e.key),
			`start with "/" and a letter; then use letters, digits, _ and -, e.g. "/admin"`)
		return nil
	}
	ns := &Namespace{Name: e.key, GoName: goName(e.key[1:]), Pos: p.pos(e.k)}
	where := "namespace " + quote(e.key)
	if e.v.Kind != yaml.MappingNode {
		p.add(e.v, where+" must be a mapping with doc, auth and events, not a "+nodeKind(e.v), namespaceFix)
		return ns
	}
	es := p.entries(e.v, "key")
	p.checkKeys(es, namespaceKeys(), where)
	ns.Doc = p.docText(value(es, "doc"))
	ns.Auth = p.auth(value(es, "auth"), types, ns.GoName+AuthGoName)
	ns.Events = p.events(e.v, value(es, "events"), ns.GoName)
	slices.SortFunc(ns.Events, func(a, b *Event) int { return strings.Compare(a.Name, b.Name) })
	return ns
}

// isNamespaceName: "/", a letter, then letters, digits, _ and -. The Go name
// comes from what follows the slash ("/live-feed" -> LiveFeed).
func isNamespaceName(s string) bool {
	name, ok := strings.CutPrefix(s, "/")
	return ok && isName(name, "_-")
}

// checkEventGoNames reports a namespace event whose prefixed Go name
// (AdminKick, which names its JS validator validateAdminKick and its Go
// types) is another event's: a main event admin_kick, or an event of
// another namespace.
func (p *parser) checkEventGoNames(s *Spec) {
	seen := map[string]string{}
	for _, e := range s.Events {
		seen[e.GoName] = "event " + quote(e.Name) + " at " + e.Pos.String()
	}
	for _, ns := range s.Namespaces {
		for _, e := range ns.Events {
			name := ns.GoName + e.GoName
			if prev, taken := seen[name]; taken {
				p.addAt(e.Pos, "event "+quote(e.Name)+" of namespace "+quote(ns.Name)+" has the Go name "+name+", as "+prev,
					"rename one of them")
				continue
			}
			seen[name] = "event " + quote(e.Name) + " of namespace " + quote(ns.Name) + " at " + e.Pos.String()
		}
	}
}
