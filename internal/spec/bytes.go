package spec

// checkBytesSenders refuses bytes wherever the server would send them, and
// in acks and auth payloads: the runtime only reads binary attachments of
// client events so far, and sends none, so any other use would half work.
func (p *parser) checkBytesSenders(s *Spec) {
	p.checkBytesIn(s.Auth, "the auth payload", "send binary data in a to_server event instead")
	p.checkBytesEvents(s.Events)
	for _, ns := range s.Namespaces {
		p.checkBytesIn(ns.Auth, "the auth payload of namespace "+quote(ns.Name), "send binary data in a to_server event instead")
		p.checkBytesEvents(ns.Events)
	}
}

func (p *parser) checkBytesEvents(events []*Event) {
	for _, e := range events {
		where := "event " + quote(e.Name)
		if e.Direction.ServerSends() {
			fix := "use direction: to_server, or a string holding base64"
			p.checkBytesIn(e.Payload, "the payload of "+where+" (direction "+string(e.Direction)+")", fix)
			for _, a := range e.Args {
				p.checkBytesIn(a.Schema, "argument "+quote(a.Name)+" of "+where+" (direction "+string(e.Direction)+")", fix)
			}
		}
		p.checkBytesIn(e.Ack, "the ack of "+where, "use a string holding base64 in the ack")
	}
}

// checkBytesIn reports s when it holds bytes, directly or through named types.
func (p *parser) checkBytesIn(s *Schema, what, fix string) {
	if s != nil && holdsBytes(s, map[*NamedType]bool{}) {
		p.addAt(s.Pos, what+" holds bytes, but bytes can only be sent by clients for now", fix)
	}
}

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
	return holdsBytes(s.Items, seen)
}
