package spec

import (
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

func argKeys() []string { return append([]string{"name"}, fieldKeys()...) }

// args reads an event's args: an ordered sequence of named arguments, each
// a field mapping plus its name. Names are unique (as written and as Go
// names, since the generated parameters derive from them), and a required
// argument cannot follow an optional one: positional arguments can only be
// left out at the end.
func (p *parser) args(n *yaml.Node, ev *Event, where, prefix string) []*Field {
	if n.Kind != yaml.SequenceNode {
		p.add(n, "args of "+where+" must be a list of arguments such as [{name: x, type: integer}], not a "+nodeKind(n), "")
		return nil
	}
	if len(n.Content) == 0 {
		p.add(n, "args of "+where+" must list at least one argument", "leave args out for an event without data")
		return nil
	}
	var out []*Field
	byName, byGo := map[string]*Field{}, map[string]*Field{}
	var optional *Field
	for i, item := range n.Content {
		f := p.arg(item, ev, where, prefix, i)
		if f == nil {
			continue
		}
		switch prev := byName[f.Name]; {
		case prev != nil:
			p.add(item, "duplicate argument "+quote(f.Name)+" of "+where, "first defined at "+prev.Pos.String())
			continue
		case byGo[f.GoName] != nil:
			prev = byGo[f.GoName]
			p.add(item, "arguments "+quote(prev.Name)+" and "+quote(f.Name)+" of "+where+" both have the Go name "+f.GoName,
				quote(prev.Name)+" is at "+prev.Pos.String()+"; rename one of them")
			continue
		}
		byName[f.Name], byGo[f.GoName] = f, f
		if f.Required && optional != nil {
			p.addAt(f.Pos, "required argument "+quote(f.Name)+" of "+where+" follows the optional argument "+quote(optional.Name),
				"put optional arguments last: only trailing arguments may be left out")
		}
		if !f.Required && optional == nil {
			optional = f
		}
		out = append(out, f)
	}
	return out
}

// arg reads one argument; nil when it is unusable (the error is reported).
func (p *parser) arg(n *yaml.Node, ev *Event, where, prefix string, i int) *Field {
	at := "argument " + strconv.Itoa(i+1) + " of " + where
	if n.Kind != yaml.MappingNode {
		p.add(n, at+" must be a mapping such as {name: x, type: integer}, not a "+nodeKind(n), "")
		return nil
	}
	es := p.entries(n, "key")
	p.checkKeys(es, argKeys(), at)
	nameNode := value(es, "name")
	if nameNode == nil {
		p.add(n, at+" is missing name", "add name: an identifier such as x or userId")
		return nil
	}
	name, ok := p.str(nameNode, "name")
	if !ok {
		return nil
	}
	if !isFieldName(name) {
		p.add(nameNode, "invalid argument name "+quote(name)+" in "+where, "start with a letter; then use letters, digits and _")
		return nil
	}
	f := &Field{Name: name, GoName: goName(name), Pos: p.pos(n)}
	if r := value(es, "required"); r != nil {
		f.Required = p.boolean(r, "required")
	}
	ctx := schemaCtx{root: "argument " + quote(name) + " of " + where, goType: prefix + ev.GoName + f.GoName, field: true}
	f.Schema = p.schemaBody(n, slices.DeleteFunc(slices.Clone(es), func(e entry) bool { return e.key == "name" }), ctx)
	return f
}
