package spec

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

func builtinKinds() []string {
	return []string{"string", "integer", "number", "boolean", "object", "array", "bytes", "any", "map"}
}

// kindList names the built-in kinds for a fix: "string, ..., any, map".
func kindList() string { return strings.Join(builtinKinds(), ", ") }

func isBuiltin(s string) bool { return slices.Contains(builtinKinds(), s) }

// typeSynonym maps type names from other languages to events.yaml's.
func typeSynonym(s string) string {
	switch strings.ToLower(s) {
	case "int", "int32", "int64", "uint", "long", "short":
		return "integer"
	case "float", "float32", "float64", "double", "decimal", "num":
		return "number"
	case "bool":
		return "boolean"
	case "str", "text", "char":
		return "string"
	case "struct":
		return "object"
	case "dict", "record", "hash", "hashmap", "dictionary":
		return "map"
	case "list", "slice", "seq", "sequence", "tuple":
		return "array"
	case "json", "unknown", "interface", "mixed", "dynamic", "raw":
		return "any"
	}
	return ""
}

// schemaCtx says where a schema node sits, for messages and Go type names.
type schemaCtx struct {
	root   string     // `the payload of event "chat"`, `type "ChatLine"`
	path   string     // JSON path below root: "", "author.name", "tags[]"
	goType string     // the Go type name an inline object here is given
	named  *NamedType // set on a named type's own definition
	field  bool       // the node is an object field, so it may say required
}

func (c schemaCtx) where() string {
	switch {
	case c.path == "":
		return c.root
	case c.path == "[]":
		return "the items of " + c.root
	case c.path == "{}":
		return "the values of " + c.root
	case strings.HasSuffix(c.path, "[]"):
		return "items " + c.path + " of " + c.root
	case strings.HasSuffix(c.path, "{}"):
		return "values of map " + strings.TrimSuffix(c.path, "{}") + " of " + c.root
	}
	return "field " + c.path + " of " + c.root
}

// schema reads a payload, ack, array items or named type definition.
func (p *parser) schema(n *yaml.Node, ctx schemaCtx) *Schema {
	if n.Kind != yaml.MappingNode {
		p.add(n, ctx.where()+" must be a mapping such as {type: string}, not a "+nodeKind(n), "")
		return nil
	}
	es := p.entries(n, "key")
	p.checkKeys(es, schemaKeys(), ctx.where())
	return p.schemaBody(n, es, ctx)
}

// schemaBody reads the schema keys of mapping n, whose entries are es.
func (p *parser) schemaBody(n *yaml.Node, es []entry, ctx schemaCtx) *Schema {
	s := &Schema{Pos: p.pos(n), Doc: p.docText(value(es, "doc"))}
	p.kind(n, value(es, "type"), s, ctx)
	switch {
	case s.Kind == KindObject && ctx.named != nil:
		s.GoName = ctx.named.GoName
	case s.Kind == KindObject:
		s.GoName = ctx.goType
		p.claimGoType(s.GoName, ctx.where(), s.Pos)
	}
	if s.Kind == "" {
		return s // unknown type: checking rules against it would only add noise
	}
	p.checkApplicable(es, s, ctx)
	p.rules(es, s)
	p.checkDateTime(es, s, ctx)
	if len(s.Rules.Enum) > 0 {
		p.enumNames(s, ctx)
	}
	switch s.Kind {
	case KindObject:
		p.fields(n, value(es, "fields"), s, ctx)
	case KindArray:
		p.items(n, value(es, "items"), s, ctx)
	case KindMap:
		p.values(n, value(es, "values"), s, ctx)
	}
	return s
}

// kind sets s.Kind from the type key t, resolving a named type's name.
func (p *parser) kind(parent, t *yaml.Node, s *Schema, ctx schemaCtx) {
	if t == nil {
		p.add(parent, ctx.where()+" is missing type", "add type: "+kindList()+" or a named type")
		return
	}
	name, ok := p.str(t, "type")
	if !ok {
		return
	}
	if isBuiltin(name) {
		s.Kind = Kind(name)
		return
	}
	if nt := p.types[name]; nt != nil {
		s.Kind, s.Ref, s.RefType = KindRef, name, nt
		return
	}
	candidates := builtinKinds()
	for typeName := range p.types {
		candidates = append(candidates, typeName)
	}
	slices.Sort(candidates[len(builtinKinds()):])
	fix := didYouMean(name, candidates)
	if syn := typeSynonym(name); fix == "" && syn != "" {
		fix = "did you mean " + quote(syn) + "?"
	}
	if fix == "" {
		fix = timeTypeHint(name)
	}
	if fix == "" {
		fix = "use " + kindList() + " or a type declared under types:"
	}
	p.add(t, "unknown type "+quote(name), fix)
}

// fields reads an object's fields, keeping declaration order.
func (p *parser) fields(obj, n *yaml.Node, s *Schema, ctx schemaCtx) {
	if n == nil || n.ShortTag() == tagNull || (n.Kind == yaml.MappingNode && len(n.Content) == 0) {
		at := obj
		if n != nil {
			at = n
		}
		p.add(at, ctx.where()+" is an object and needs at least one field",
			"add fields: {name: {type: string}}, or leave the payload out for an event without data")
		return
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, "fields must be a mapping of field names to schemas, not a "+nodeKind(n), "")
		return
	}
	byGo := map[string]*Field{}
	for _, e := range p.entries(n, "field") {
		if !isFieldName(e.key) {
			p.add(e.k, "invalid field name "+quote(e.key), "start with a letter; then use letters, digits and _")
			continue
		}
		f := &Field{Name: e.key, GoName: goName(e.key), Pos: p.pos(e.k)}
		if prev, taken := byGo[f.GoName]; taken {
			p.add(e.k, "fields "+quote(prev.Name)+" and "+quote(f.Name)+" both have the Go name "+f.GoName,
				quote(prev.Name)+" is at "+prev.Pos.String()+"; rename one of them")
		} else {
			byGo[f.GoName] = f
		}
		fctx := schemaCtx{root: ctx.root, path: joinPath(ctx.path, f.Name), goType: ctx.goType + f.GoName, field: true}
		f.Schema = p.field(e.v, f, fctx)
		s.Fields = append(s.Fields, f)
	}
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// field reads one field's mapping: its schema keys plus required.
func (p *parser) field(n *yaml.Node, f *Field, ctx schemaCtx) *Schema {
	if n.Kind != yaml.MappingNode {
		p.add(n, ctx.where()+" must be a mapping such as {type: string}, not a "+nodeKind(n), "")
		return nil
	}
	es := p.entries(n, "key")
	p.checkKeys(es, fieldKeys(), ctx.where())
	if r := value(es, "required"); r != nil {
		f.Required = p.boolean(r, "required")
	}
	return p.schemaBody(n, es, ctx)
}

// items reads an array's item schema, which every array must have.
func (p *parser) items(arr, n *yaml.Node, s *Schema, ctx schemaCtx) {
	if n == nil {
		p.add(arr, ctx.where()+" is an array and needs items", "add items: {type: string}")
		return
	}
	ictx := schemaCtx{root: ctx.root, path: ctx.path + "[]", goType: ctx.goType + "Item"}
	s.Items = p.schema(n, ictx)
}
