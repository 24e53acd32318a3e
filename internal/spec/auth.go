package spec

import "go.yaml.in/yaml/v3"

// AuthGoName is the Go and TypeScript type name of the auth payload. A spec
// with auth claims it, so no named type or inline object may take it then.
const AuthGoName = "Auth"

// authFix shows what an auth schema looks like.
const authFix = "Socket.IO sends auth as a JSON object, e.g. auth: {type: object, fields: {token: {type: string, required: true}}}"

// auth reads the top-level auth schema: the payload a client sends in the
// Socket.IO CONNECT packet (40{...}). The protocol carries it as a JSON
// object, so the schema must be an object, inline or a named object type.
// types is the number of named types, which bounds following references.
// goType is the Go type name it claims: AuthGoName, or a namespace's
// GoName+"Auth".
func (p *parser) auth(n *yaml.Node, types int, goType string) *Schema {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "auth must be a mapping such as {type: object, fields: {...}}, not a "+nodeKind(n), authFix)
		return nil
	}
	s := p.schema(n, schemaCtx{root: "the auth schema", goType: goType})
	switch s.Kind {
	case "", KindObject: // an unknown type is reported already; an object claimed Auth
	case KindRef:
		if k := refKind(s, types); k != "" && k != KindObject {
			p.add(typeNode(n), "auth must be an object, but type "+quote(s.Ref)+" is a "+string(k), authFix)
		}
		// A type named Auth is used as it is; any other gets the alias Auth.
		if s.RefType != nil && s.RefType.GoName != goType {
			p.claimGoType(goType, "the auth schema", s.Pos)
		}
	default:
		p.add(typeNode(n), "auth must be an object, not a "+string(s.Kind), authFix)
	}
	p.reservedAuthFields(s, types)
	return s
}

// reservedAuthFields refuses auth fields named pid or offset: with
// connection state recovery, a client merges its session's pid and last
// offset into the CONNECT auth (socket.io-client does
// Object.assign({pid, offset}, auth)), and the server takes them out
// before the auth check.
func (p *parser) reservedAuthFields(s *Schema, types int) {
	for i := 0; s != nil && s.Kind == KindRef && s.RefType != nil && i <= types; i++ {
		s = s.RefType.Schema
	}
	if s == nil || s.Kind != KindObject {
		return
	}
	for _, f := range s.Fields {
		if f.Name == "pid" || f.Name == "offset" {
			p.addAt(f.Pos, "auth field "+quote(f.Name)+" is reserved: connection state recovery sends the session's pid and offset in the CONNECT auth",
				"give it another name: pid and offset are taken in the CONNECT auth")
		}
	}
}

// refKind is the kind reference s resolves to, or "" when it resolves to
// nothing usable: a broken type, or a cycle (checkCycles reports those, and
// Resolve would not return on one, hence the bound).
func refKind(s *Schema, types int) Kind {
	for i := 0; s != nil && s.Kind == KindRef && s.RefType != nil; i++ {
		if i > types {
			return ""
		}
		s = s.RefType.Schema
	}
	if s == nil || s.Kind == KindRef {
		return ""
	}
	return s.Kind
}

// typeNode returns the value of mapping n's type key, or n when it has none.
func typeNode(n *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			return n.Content[i+1]
		}
	}
	return n
}
