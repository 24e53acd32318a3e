package codegen

import (
	"slices"
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// goFile is the data of the "events.go" template.
type goFile struct {
	Source, QuotedSource, Package string
	// ClientFile and MinClientFile are the JS client's file names, readable
	// and minified, which the Go file embeds.
	ClientFile, MinClientFile string
	StdImports, ExtImports    []string
	Types                     []goType
	// Main is namespace "/"; Namespaces the others, in name order.
	Main        goNamespace
	Namespaces  []goNamespace
	NamedShapes []goShapeFunc
	Patterns    []goPattern

	Maps []goMapRule
}

// goNamespace is the typed API of one namespace: its Handler, Conn and
// Broadcaster types and, for a namespace other than "/", the type of
// Server.<GoName>() (Server itself for "/").
type goNamespace struct {
	Source, Name, Quoted, GoName       string
	Handler, Conn, Broadcaster, Server string // type names: AdminHandler, ...
	Param                              string // its handler's NewServer parameter: h, admin
	Doc                                string // the namespace's doc as comment lines
	// Broadcast are the outbound events without an ack: an ack comes from
	// one client, so an operator has no emitter for the others.
	Events, Inbound, Outbound, Broadcast []goEvent
	// Auth is the CONNECT auth payload; nil when the namespace declares none.
	Auth *goValue
}

// goValue is a value the runtime checks: its Go type, the expression of its
// middleware.Shape, and its quoted validator tag ("" for structs, whose
// field tags do it, and for no rules).
type goValue struct{ Type, Shape, Tag string }

// goType is a declared type: a struct, or a named type over another type.
type goType struct {
	Doc        string // comment lines, each ending in a newline
	Name       string
	Struct     bool
	Alias      bool // type Name = Underlying
	Fields     []goField
	Underlying string
	// Consts are an enum's values, one constant each.
	Consts []goConst
}

// goConst is one constant of an enum type: LevelInfo Level = "info".
type goConst struct{ Name, Type, Value string }

type goField struct {
	Doc, Name, Type, Tag string
}

type goEvent struct {
	Name, Quoted, GoName     string
	ClientSends, ServerSends bool
	HasPayload               bool
	Type, Shape, Tag         string // Tag is quoted, or "" when the payload has none
	// Ack is the typed reply; nil when the event has none.
	Ack *goValue
	// Args are the positional arguments of an event declared with args.
	Args []goArg
	// ArgTags is the quoted middleware.Event.ArgTags list, "" when no
	// argument has a tag.
	ArgTags string
	// EmitParams are the typed emitter's parameters after ctx ("v Post",
	// "x int64, y int64, label *string" or ""), EmitArgs what it passes on
	// after the event name (", v", ", x, y, label" or "").
	EmitParams, EmitArgs string
	HandlerDoc           string
	// Handler is the signature of the Handler method after its name, e.g.
	// "(ctx context.Context, c *Conn, m Join) (JoinAck, error)".
	Handler string
	// Register is the middleware function and the parameters of the function
	// NewServer hands it: "middleware.HandleAck[Join, JoinAck]" and
	// "(ctx context.Context, c *middleware.Conn, v Join) (JoinAck, error)";
	// Call the arguments it passes on to the Handler method.
	Register, RegisterFunc, Call string
	doc                          []string
}

// EmitDoc is the comment of the typed emitter on Conn (recv "c") or on
// Broadcaster (recv "b").
func (e goEvent) EmitDoc(recv string) string {
	to := "this client"
	if recv == "b" {
		to = "the broadcaster's clients"
	}
	first := []string{"Emit" + e.GoName + " sends " + e.Name + " to " + to + "."}
	if e.Ack != nil {
		first = []string{
			"Emit" + e.GoName + " sends " + e.Name + " to this client and returns its ack reply. It fails",
			"with the client's error reply (a *middleware.Error), an invalid reply (a",
			"*middleware.Error with code invalid_payload), middleware.ErrAckTimeout when",
			"ctx ends first, or middleware.ErrDisconnected when the connection does.",
		}
	}
	return goComment(append(first, e.doc...)...)
}

// goArg is one positional argument: its wire name, Go parameter name, Go
// type (a pointer when optional, but for arrays), middleware.Shape
// expression, and the DecodeArg call that decodes it in NewServer.
type goArg struct {
	Name, Param, Type, Shape, Decode string
	Required                         bool
}

type goShapeFunc struct{ Func, Name, Shape string }

type goPattern struct{ QuotedTag, QuotedRegex string }

func (m *model) goFile() goFile {
	f := goFile{
		Source:        m.opts.Source,
		QuotedSource:  strconv.Quote(m.opts.Source),
		Package:       m.opts.Package,
		ClientFile:    JSFile(m.opts.Package),
		MinClientFile: MinJSFile(m.opts.Package),
		// Every generated package uses all three: Handler and OnConnect take
		// a context, Server is an http.Handler.
		StdImports: []string{`"context"`, `_ "embed"`, `"net/http"`},
		ExtImports: []string{`"github.com/eventwire/eventwire/middleware"`},
	}
	for _, d := range m.decls {
		f.Types = append(f.Types, m.goDecl(d))
	}
	f.Main = m.goNamespace(&spec.Namespace{Name: "/", Auth: m.spec.Auth, Events: m.spec.Events})
	for _, ns := range m.spec.Namespaces {
		f.Namespaces = append(f.Namespaces, m.goNamespace(ns))
	}
	for _, ns := range append([]goNamespace{f.Main}, f.Namespaces...) {
		if slices.ContainsFunc(ns.Inbound, func(g goEvent) bool { return len(g.Args) > 0 }) {
			f.StdImports = []string{`"context"`, `_ "embed"`, `"encoding/json"`, `"net/http"`}
		}
	}
	f.StdImports = kindImports(m.spec, f.StdImports)
	for _, t := range usedTypes(m.spec) {
		f.NamedShapes = append(f.NamedShapes, goShapeFunc{Func: shapeFunc(t), Name: t.GoName, Shape: shapeExpr(t.Schema)})
	}
	for i, re := range m.patterns.regexes {
		f.Patterns = append(f.Patterns, goPattern{
			QuotedTag:   strconv.Quote("ew_pattern_" + strconv.Itoa(i+1)),
			QuotedRegex: strconv.Quote(re),
		})
	}
	f.Maps = m.patterns.maps.goRules()
	return f
}

// goNamespace builds the typed API of ns; "/" (GoName "") gets the plain
// names Handler, Conn, Broadcaster and Server.
func (m *model) goNamespace(ns *spec.Namespace) goNamespace {
	g := goNamespace{
		Source: m.opts.Source, Name: ns.Name, Quoted: strconv.Quote(ns.Name), GoName: ns.GoName,
		Handler: ns.GoName + "Handler", Conn: ns.GoName + "Conn", Broadcaster: ns.GoName + "Broadcaster",
		Server: "Server", Param: "h",
	}
	if ns.Doc != "" {
		g.Doc = goComment(append([]string{""}, docLines(ns.Doc)...)...)
	}
	if ns.GoName != "" {
		g.Server, g.Param = ns.GoName+"Namespace", goParam(ns.GoName)+"Handler"
	}
	for _, e := range ns.Events {
		g.Events = append(g.Events, m.goEvent(e, g.Conn))
	}
	for _, e := range inbound(ns.Events) {
		g.Inbound = append(g.Inbound, m.goEvent(e, g.Conn))
	}
	for _, e := range outbound(ns.Events) {
		ev := m.goEvent(e, g.Conn)
		g.Outbound = append(g.Outbound, ev)
		if ev.Ack == nil {
			g.Broadcast = append(g.Broadcast, ev)
		}
	}
	if a := ns.Auth; a != nil {
		g.Auth = &goValue{Type: ns.GoName + spec.AuthGoName, Shape: shapeExpr(a), Tag: m.nonStructTag(a)}
	}
	return g
}

func (m *model) goDecl(d decl) goType {
	t := goType{Doc: goComment(append([]string{d.name + " is " + d.what + "."}, docLines(d.doc)...)...), Name: d.name}
	if d.schema.Kind != spec.KindObject {
		t.Underlying = goTypeOf(d.schema)
		t.Alias = d.alias || aliasKind(d.schema)
		if isEnum(d.schema) && !d.alias {
			t.Underlying = goBaseType(d.schema)
			t.Consts = goConsts(d.schema)
		}
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
// arrays and bytes, with omitempty in both tags.
func (m *model) goField(f *spec.Field) goField {
	typ := goTypeOf(f.Schema)
	json := f.Name
	validate := m.patterns.validateTag(f.Schema)
	if !f.Required {
		if !isSlice(f.Schema) {
			typ = "*" + typ
		}
		json += ",omitempty"
		if validate != "" {
			validate = "omitempty," + validate
		}
	}
	return goField{Doc: goComment(docLines(f.Schema.Doc)...), Name: f.GoName, Type: typ, Tag: structTag(json, validate)}
}

// goEvent maps an event whose handlers take conn (Conn, AdminConn).
func (m *model) goEvent(e *spec.Event, conn string) goEvent {
	g := goEvent{
		Name: e.Name, Quoted: strconv.Quote(e.Name), GoName: e.GoName,
		ClientSends: e.Direction.ClientSends(), ServerSends: e.Direction.ServerSends(),
		doc: docLines(eventDoc(e)),
	}
	g.HandlerDoc = goComment(append([]string{e.GoName + " handles " + e.Name + "."}, g.doc...)...)
	if e.Payload != nil {
		g.HasPayload = true
		g.Type = goTypeOf(e.Payload)
		g.Shape = shapeExpr(e.Payload)
		g.Tag = m.nonStructTag(e.Payload)
	}
	if e.Payload != nil {
		g.EmitParams, g.EmitArgs = "v "+g.Type, ", v"
	}
	m.goArgs(&g, e)
	if e.Ack != nil {
		g.Ack = &goValue{Type: goTypeOf(e.Ack), Shape: shapeExpr(e.Ack), Tag: m.nonStructTag(e.Ack)}
		g.HandlerDoc += goComment("", "It returns the ack reply, which the client receives as {\"data\": reply}.")
	}
	g.setRegistration(conn)
	return g
}

// goArgs fills in the arguments of an event declared with args.
func (m *model) goArgs(g *goEvent, e *spec.Event) {
	var params, names, tags []string
	hasTag := false
	for i, f := range e.Args {
		a := goArg{Name: f.Name, Param: goParam(f.GoName), Type: goTypeOf(f.Schema), Shape: shapeExpr(f.Schema), Required: f.Required}
		if !f.Required && !isSlice(f.Schema) {
			a.Type = "*" + a.Type
		}
		idx := strconv.Itoa(i)
		a.Decode = "middleware.DecodeArg[" + a.Type + "](ctx, rt, " + g.Quoted + ", " + idx + ", args[" + idx + "])"
		tag := m.nonStructTag(f.Schema)
		hasTag = hasTag || tag != ""
		tags = append(tags, cmpOr(tag, `""`))
		params = append(params, a.Param+" "+a.Type)
		names = append(names, a.Param)
		g.Args = append(g.Args, a)
	}
	if len(g.Args) == 0 {
		return
	}
	if hasTag {
		g.ArgTags = "[]string{" + strings.Join(tags, ", ") + "}"
	}
	g.EmitParams, g.EmitArgs = strings.Join(params, ", "), ", "+strings.Join(names, ", ")
}

// goParam is the Go parameter name of an argument: its Go name with the
// first word lower-cased (UserID -> userID, URLPath -> urlPath), with Arg
// appended when that is a keyword or a name the generated methods use
// themselves (their receivers c and b, ctx, the middleware package).
func goParam(goName string) string {
	n := 0
	for n < len(goName) && goName[n] >= 'A' && goName[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(goName) {
		n-- // URLPath: the P starts the next word
	}
	p := strings.ToLower(goName[:n]) + goName[n:]
	switch p {
	case "c", "b", "ctx", "middleware", "break", "case", "chan", "const", "continue", "default", "defer", "else",
		"fallthrough", "for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
		"return", "select", "struct", "switch", "type", "var":
		return p + "Arg"
	}
	return p
}

// setRegistration fills in the Handler method's signature and how NewServer
// registers it: Handle, HandleEmpty, HandleAck or HandleEmptyAck.
func (g *goEvent) setRegistration(conn string) {
	params, rtParams, call := "ctx context.Context, c *"+conn, "ctx context.Context, c *middleware.Conn", "ctx, &"+conn+"{c}"
	if len(g.Args) > 0 {
		g.setArgsRegistration(conn)
		return
	}
	var types []string
	if g.HasPayload {
		params += ", m " + g.Type
		rtParams += ", v " + g.Type
		call += ", v"
		types = append(types, g.Type)
	}
	result, fn := "error", "middleware.Handle"
	if g.Ack != nil {
		result, fn = "("+g.Ack.Type+", error)", fn+"Ack"
		types = append(types, g.Ack.Type)
	}
	if !g.HasPayload {
		fn = strings.Replace(fn, "Handle", "HandleEmpty", 1)
	}
	if len(types) > 0 {
		fn += "[" + strings.Join(types, ", ") + "]"
	}
	g.Handler = "(" + params + ") " + result
	g.Register, g.RegisterFunc, g.Call = fn, "("+rtParams+") "+result, call
}

// setArgsRegistration is setRegistration for an event with args: NewServer
// registers a decode function with HandleArgs or HandleArgsAck[R].
func (g *goEvent) setArgsRegistration(conn string) {
	result, fn, call := "error", "middleware.HandleArgs", "func() error"
	if g.Ack != nil {
		result = "(" + g.Ack.Type + ", error)"
		fn, call = "middleware.HandleArgsAck["+g.Ack.Type+"]", "func() "+result
	}
	names := make([]string, len(g.Args))
	for i := range g.Args {
		names[i] = "a" + strconv.Itoa(i)
	}
	g.Handler = "(ctx context.Context, c *" + conn + ", " + g.EmitParams + ") " + result
	g.Register = fn
	g.RegisterFunc = "(ctx context.Context, c *middleware.Conn, args []json.RawMessage) (" + call + ", error)"
	g.Call = "ctx, &" + conn + "{c}, " + strings.Join(names, ", ")
}

// nonStructTag is the quoted validator tag the runtime applies with
// Validate.Var to a value of s that is not a struct; "" for a struct (its
// field tags do it) and for a value without rules.
func (m *model) nonStructTag(s *spec.Schema) string {
	if tag := m.patterns.validateTag(s); tag != "" && s.Resolve().Kind != spec.KindObject {
		return strconv.Quote(tag)
	}
	return ""
}

// isSlice reports whether s is a Go slice or map (an array, bytes, any or a
// map), which stays nil for an optional value instead of becoming a pointer.
func isSlice(s *spec.Schema) bool {
	k := s.Resolve().Kind
	return k == spec.KindArray || k == spec.KindBytes || k == spec.KindAny || k == spec.KindMap
}

// goTypeOf is the Go type of a value of s.
func goTypeOf(s *spec.Schema) string {
	if isEnum(s) {
		return s.GoName
	}
	return goBaseType(s)
}

// isEnum reports a string or integer with an enum, which the generated
// package declares as a named type with a constant per value.
func isEnum(s *spec.Schema) bool {
	return (s.Kind == spec.KindString || s.Kind == spec.KindInteger) && s.GoName != ""
}

// goConsts are the constants of enum s: the values as Go literals.
func goConsts(s *spec.Schema) []goConst {
	out := make([]goConst, len(s.Rules.Enum))
	for i, v := range s.Rules.Enum {
		if s.Kind == spec.KindString {
			v = strconv.Quote(v)
		}
		out[i] = goConst{Name: s.EnumConsts[i], Type: s.GoName, Value: v}
	}
	return out
}

// goBaseType is the Go type of s, an enum's underlying type for an enum.
func goBaseType(s *spec.Schema) string {
	switch s.Kind {
	case spec.KindString:
		if isDateTime(s) {
			return "time.Time"
		}
		return "string"
	case spec.KindAny:
		return "json.RawMessage"
	case spec.KindInteger:
		return "int64"
	case spec.KindNumber:
		return "float64"
	case spec.KindBoolean:
		return "bool"
	case spec.KindArray:
		return "[]" + goTypeOf(s.Items)
	case spec.KindBytes:
		return "[]byte"
	case spec.KindMap:
		return "map[string]" + goTypeOf(s.Values)
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
