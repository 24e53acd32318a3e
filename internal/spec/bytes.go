package spec

// checkBytesInAuth refuses bytes in auth payloads: a Socket.IO CONNECT
// packet has no binary form, so they could never arrive as attachments.
func (p *parser) checkBytesInAuth(s *Spec) {
	const fix = "send binary data in an event after connecting"
	p.checkBytesIn(s.Auth, "the auth payload", fix)
	for _, ns := range s.Namespaces {
		p.checkBytesIn(ns.Auth, "the auth payload of namespace "+quote(ns.Name), fix)
	}
}

// checkBytesIn reports s when it holds bytes, directly or through named types.
func (p *parser) checkBytesIn(s *Schema, what, fix string) {
	if s != nil && holdsBytes(s, map[*NamedType]bool{}) {
		p.addAt(s.Pos, what+" holds bytes, but a CONNECT packet cannot carry binary attachments", fix)
	}
}

// holdsBytes reports whether s holds bytes anywhere, through named types too.
func holdsBytes(s *Schema, seen map[*NamedType]bool) bool {
	switch {
	case s == nil:
		return false
	case s.Kind == KindBytes:
		return true
	case s.Kind == KindRef && s.RefType != nil && !seen[s.RefType]:
		seen[s.RefType] = true
		return holdsBytes(s.RefType.Schema, seen)
	}
	for _, f := range s.Fields {
		if holdsBytes(f.Schema, seen) {
			return true
		}
	}
	return holdsBytes(s.Items, seen) || holdsBytes(s.Values, seen)
}
