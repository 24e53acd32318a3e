package codegen

import (
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// goFile is the data of the "events.go" template.
type goFile struct {
	Source, QuotedSource, Package string
	StdImports, ExtImports        []string
	Types                         []goType
	Events, Inbound, Outbound     []goEvent
	NamedShapes                   []goShapeFunc
	Patterns                      []goPattern
}

// goType is a declared type: a struct, or a named type over another type.
type goType struct {
	Doc        string // comment lines, each ending in a newline
	Name       string
	Struct     bool
	Fields     []goField
	Underlying string
}

type goField struct {
	Doc, Name, Type, Tag string
}

type goEvent struct {
	Name, Quoted, GoName     string
	ClientSends, ServerSends bool
	HasPayload               bool
	Type, Shape, Tag         string // Tag is quoted, or "" when the payload has none
	HandlerDoc               string
	doc                      []string
}

// EmitDoc is the comment of the typed emitter on Conn (recv "c") or on
// Broadcaster (recv "b").
func (e goEvent) EmitDoc(recv string) string {
	to := "this client"
	if recv == "b" {
		to = "the broadcaster's clients"
	}
	return goComment(append([]string{"Emit" + e.GoName + " sends " + e.Name + " to " + to + "."}, e.doc...)...)
}

type goShapeFunc struct{ Func, Name, Shape string }

type goPattern struct{ QuotedTag, QuotedRegex string }

func (m *model) goFile() goFile {
	f := goFile{
		Source:       m.opts.Source,
		QuotedSource: strconv.Quote(m.opts.Source),
		Package:      m.opts.Package,
		// Every generated package uses all three: Handler and OnConnect take
		// a context, Server is an http.Handler.
		StdImports: []string{`"context"`, `"net/http"`},
		ExtImports: []string{`"github.com/eventwire/eventwire/middleware"`},
	}
	for _, d := range m.decls {
		f.Types = append(f.Types, m.goDecl(d))
	}
	for _, e := range m.spec.Events {
		f.Events = append(f.Events, m.goEvent(e))
	}
	for _, e := range m.inbound() {
		f.Inbound = append(f.Inbound, m.goEvent(e))
	}
	for _, e := range m.outbound() {
		f.Outbound = append(f.Outbound, m.goEvent(e))
	}
	for _, t := range usedTypes(m.spec) {
		f.NamedShapes = append(f.NamedShapes, goShapeFunc{Func: shapeFunc(t), Name: t.GoName, Shape: shapeExpr(t.Schema)})
	}
	for i, re := range m.patterns.regexes {
		f.Patterns = append(f.Patterns, goPattern{
			QuotedTag:   strconv.Quote("ew_pattern_" + strconv.Itoa(i+1)),
			QuotedRegex: strconv.Quote(re),
		})
	}
	return f
}

func (m *model) goDecl(d decl) goType {
	t := goType{Doc: goComment(append([]string{d.name + " is " + d.what + "."}, docLines(d.doc)...)...), Name: d.name}
	if d.schema.Kind != spec.KindObject {
		t.Underlying = goTypeOf(d.schema)
		return t
	}
	t.Struct = true
	for _, f := range d.schema.Fields {
		t.Fields = append(t.Fields, m.goField(f))
	}
	return t
}

// goField maps a field: required fields are values (the runtime's shape
// check enforces presence), optional ones pointers, or nil slices for
// arrays, with omitempty in both tags.
func (m *model) goField(f *spec.Field) goField {
	typ := goTypeOf(f.Schema)
	json := f.Name
	validate := m.patterns.validateTag(f.Schema)
	if !f.Required {
		if f.Schema.Resolve().Kind != spec.KindArray {
			typ = "*" + typ
		}
		json += ",omitempty"
		if validate != "" {
			validate = "omitempty," + validate
		}
	}
	return goField{Doc: goComment(docLines(f.Schema.Doc)...), Name: f.GoName, Type: typ, Tag: structTag(json, validate)}
}

func (m *model) goEvent(e *spec.Event) goEvent {
	g := goEvent{
		Name: e.Name, Quoted: strconv.Quote(e.Name), GoName: e.GoName,
		ClientSends: e.Direction.ClientSends(), ServerSends: e.Direction.ServerSends(),
		doc: docLines(eventDoc(e)),
	}
	g.HandlerDoc = goComment(append([]string{e.GoName + " handles " + e.Name + "."}, g.doc...)...)
	if e.Payload == nil {
		return g
	}
	g.HasPayload = true
	g.Type = goTypeOf(e.Payload)
	g.Shape = shapeExpr(e.Payload)
	// A struct payload is checked by its field tags; any other by this tag.
	if tag := m.patterns.validateTag(e.Payload); tag != "" && e.Payload.Resolve().Kind != spec.KindObject {
		g.Tag = strconv.Quote(tag)
	}
	return g
}

// goTypeOf is the Go type of a value of s.
func goTypeOf(s *spec.Schema) string {
	switch s.Kind {
	case spec.KindString:
		return "string"
	case spec.KindInteger:
		return "int64"
	case spec.KindNumber:
		return "float64"
	case spec.KindBoolean:
		return "bool"
	case spec.KindArray:
		return "[]" + goTypeOf(s.Items)
	case spec.KindRef:
		return s.RefType.GoName
	}
	return s.GoName // object
}

// structTag writes a struct tag; values are quoted as reflect.StructTag
// expects, and the whole tag too in the unlikely case it holds a backquote.
func structTag(json, validate string) string {
	tag := "json:" + strconv.Quote(json)
	if validate != "" {
		tag += " validate:" + strconv.Quote(validate)
	}
	if strings.Contains(tag, "`") {
		return strconv.Quote(tag)
	}
	return "`" + tag + "`"
}

// goComment turns lines into a // comment, each line ending in a newline;
// "" for no lines.
func goComment(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			b.WriteString("//\n")
			continue
		}
		b.WriteString("// " + l + "\n")
	}
	return b.String()
}
