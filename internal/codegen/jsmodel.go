package codegen

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// jsFile is the data of the "client.js" and "client.d.ts" templates. From
// the client's side, Receives are the events the server sends and Sends the
// events clients send.
type jsFile struct {
	Source, Package string
	// MaxDetails caps the details of one payload, as the runtime does.
	MaxDetails int
	// Patterns are the spec's patterns, each compiled once by the client.
	Patterns        []jsPattern
	Types           []jsType
	Receives, Sends []jsEvent
	Validators      []jsValidator
	// Answers are the events the server sends expecting an ack, which the
	// client answers; AckNodes the ack reply schemas of every event with
	// one: the client checks its own replies and the server's against them.
	AckNodes []jsValidator
	Answers  []jsEvent
	HasAcks  bool
	// HasArgs: some event has several arguments, so the client needs checkArgs.
	HasArgs bool
	// HasMaps: the spec has a map, so the validators need their map code.
	HasMaps bool
	// AuthNode is the auth schema as a SchemaNode literal; "" without auth.
	// AuthOption is then the type of ConnectOptions.auth.
	AuthNode, AuthOption string
	// Main is namespace "/" (its Receives, Sends, Answers and AuthNode are
	// the fields above); Namespaces the others, in name order.
	Main       jsNamespace
	Namespaces []jsNamespace
}

// jsNamespace is the client of one namespace: connect (Client) for "/",
// connect<GoName> (<GoName>Client) for the others.
type jsNamespace struct {
	Source, Name, Quoted, GoName string
	Client, Connect              string // the client's type and the function that connects it
	Options                      string // the type of the connect function's options
	// Senders names the function making the client's emitting part, which
	// timeout(ms) and volatile return too; SenderKeys are that part's keys
	// as a TypeScript union of string literals (for Pick<Client, …>).
	Senders, SenderKeys string
	// ToClient and ToServer name the socket.io style events interfaces of
	// the namespace: ServerToClientEvents and ClientToServerEvents for "/",
	// prefixed with GoName for the others.
	ToClient, ToServer       string
	Receives, Sends, Answers []jsEvent
	ReceivesBytes            bool   // some event the server sends holds bytes
	AuthNode, AuthVar        string // the auth SchemaNode and the constant holding it; "" without auth
}

// jsType is a declared type as a JSDoc typedef (comment lines, without the
// opening and closing lines) and as a TypeScript declaration.
type jsType struct{ JSDoc, TSDecl string }

type jsEvent struct {
	Name, Quoted, GoName        string
	Key                         string // property key in the events interfaces
	HasPayload, HasAck, HasArgs bool
	Param                       string // "payload: T", or "" without payload
	AckVar                      string // the constant holding the ack reply's SchemaNode
	// Check is the constant the client checks what it receives against:
	// the payload's SchemaNode, the arguments' SchemaField list, or null
	// for an event without either.
	Check    string
	Validate string // the name of its validate function
	// OnFn is the type of on<GoName>'s function, EmitResult what
	// emit<GoName> returns, WireSig the event's signature in the socket.io
	// style events interfaces (an ack is a callback receiving AckReply).
	OnFn, EmitResult, WireSig string
	OnDoc, EmitDoc            string // .d.ts comments of on<GoName> and emit<GoName>
}

// jsValidator is the SchemaNode constant of a payload or an ack reply, or,
// with Args, the list of an event's argument nodes (ArgParam, the arguments
// as a JSDoc/TS parameter list).
type jsValidator struct {
	Name, GoName, Var, Node string
	Args                    bool
}

// jsPattern is a pattern as the client's patterns map holds it: Key is the
// pattern as events.yaml writes it (the param of its details) and Source its
// JavaScript form, both quoted JS strings.
type jsPattern struct{ Key, Source string }

// maxDetails is the most details the client reports for one payload; it
// must equal the runtime's cap (middleware's unexported maxDetails, which a
// test compares).
const maxDetails = 100

// jsFile is the data of the client's templates.
func (m *model) jsFile() jsFile {
	f := jsFile{Source: m.opts.Source, Package: m.opts.Package, HasAcks: m.hasAcks(), MaxDetails: maxDetails}
	f.HasMaps = m.patterns.maps.any()
	f.Main = m.jsNamespace(&spec.Namespace{Name: "/", Auth: m.spec.Auth, Events: m.spec.Events})
	f.Receives, f.Sends, f.Answers, f.AuthNode = f.Main.Receives, f.Main.Sends, f.Main.Answers, f.Main.AuthNode
	if f.AuthNode != "" {
		f.AuthOption = authOption(spec.AuthGoName)
	}
	for _, ns := range m.spec.Namespaces {
		f.Namespaces = append(f.Namespaces, m.jsNamespace(ns))
	}
	for i, re := range m.patterns.regexes {
		f.Patterns = append(f.Patterns, jsPattern{Key: jsString(re), Source: jsString(m.patterns.js[i])})
	}
	for _, d := range m.decls {
		if d.goOnly {
			continue
		}
		f.Types = append(f.Types, jsType{JSDoc: jsDoc(d), TSDecl: tsDecl(d)})
	}
	f.addValidators(m.spec.Events, "")
	for _, ns := range m.spec.Namespaces {
		f.addValidators(ns.Events, ns.GoName)
	}
	return f
}

// jsNamespace builds the client of ns; "/" (GoName "") is connect's Client.
func (m *model) jsNamespace(ns *spec.Namespace) jsNamespace {
	j := jsNamespace{
		Source: m.opts.Source, Name: ns.Name, Quoted: strconv.Quote(ns.Name), GoName: ns.GoName,
		Client: ns.GoName + "Client", Connect: "connect" + ns.GoName, Options: "ConnectOptions",
		ToClient: ns.GoName + "ServerToClientEvents", ToServer: ns.GoName + "ClientToServerEvents",
		Senders: "senders" + ns.GoName,
	}
	if ns.GoName != "" {
		j.Options = `Omit<ConnectOptions, "auth">`
		if ns.Auth != nil {
			j.Options += " & { auth?: " + authOption(ns.GoName+spec.AuthGoName) + " }"
		}
	}
	for _, e := range outbound(ns.Events) {
		ev := jsReceived(e, ns.GoName)
		j.Receives = append(j.Receives, ev)
		j.ReceivesBytes = j.ReceivesBytes || eventHoldsBytes(e)
		if ev.HasAck {
			j.Answers = append(j.Answers, ev)
		}
	}
	keys := []string{`"timeout"`, `"volatile"`}
	for _, e := range inbound(ns.Events) {
		j.Sends = append(j.Sends, jsSent(e, ns.GoName))
		keys = append(keys, `"emit`+e.GoName+`"`)
	}
	j.SenderKeys = strings.Join(keys, " | ")
	if ns.Auth != nil {
		j.AuthNode, j.AuthVar = jsNodeText(ns.Auth), "authSchema"+ns.GoName
	}
	return j
}

// authOption is the type of the auth option of a connect function whose
// auth payload is of type auth: the payload, or a function giving it per
// CONNECT (so that a fresh token goes with each reconnection).
func authOption(auth string) string {
	return auth + " | (() => " + auth + " | Promise<" + auth + ">)"
}

// addValidators adds the SchemaNode constants and validate functions of
// events; prefix (a namespace's GoName) starts their names.
func (f *jsFile) addValidators(events []*spec.Event, prefix string) {
	for _, e := range events {
		name := prefix + e.GoName
		if len(e.Args) > 0 {
			f.HasArgs = true
			f.Validators = append(f.Validators, jsValidator{
				Name: e.Name, GoName: name, Var: "args" + name, Node: jsArgsText(e.Args), Args: true,
			})
		}
		if e.Payload != nil {
			f.Validators = append(f.Validators, jsValidator{
				Name: e.Name, GoName: name, Var: "payload" + name, Node: jsNodeText(e.Payload),
			})
		}
		if e.Ack != nil {
			f.AckNodes = append(f.AckNodes, jsValidator{
				Name: e.Name, GoName: name, Var: ackVar(e, prefix), Node: jsNodeText(e.Ack),
			})
		}
	}
}

func ackVar(e *spec.Event, prefix string) string { return "ack" + prefix + e.GoName }

// jsEventOf fills in what the client's receiving and sending sides share;
// prefix (a namespace's GoName) starts the names of its validator and ack
// schema constant.
func jsEventOf(e *spec.Event, prefix string) jsEvent {
	j := jsEvent{Name: e.Name, Quoted: strconv.Quote(e.Name), GoName: e.GoName, Key: tsKey(e.Name),
		Validate: "validate" + prefix + e.GoName, Check: "null"}
	if e.Payload != nil {
		j.Check = "payload" + prefix + e.GoName
		j.HasPayload = true
		j.Param = "payload: " + tsType(e.Payload)
	}
	j.WireSig = "(" + j.Param + ") => void"
	if len(e.Args) > 0 {
		j.Check = "args" + prefix + e.GoName
		j.HasArgs = true
		j.Param = tsArgs(e.Args, false)
		j.WireSig = "(" + j.Param + ") => void"
	}
	if e.Ack != nil {
		j.HasAck = true
		j.AckVar = ackVar(e, prefix)
		params := j.Param
		if j.HasArgs {
			params = tsArgs(e.Args, true) // no optional parameter may precede ack
		}
		j.WireSig = "(" + joinParams(params, "ack: (reply: AckReply<"+tsType(e.Ack)+">) => void") + ") => void"
	}
	return j
}

// jsReceived is an event the server sends, as the client's on<GoName> sees it.
func jsReceived(e *spec.Event, prefix string) jsEvent {
	j := jsEventOf(e, prefix)
	j.OnFn = "(" + j.Param + ") => void"
	first := []string{"Calls fn for each " + e.Name + "; returns the unsubscribe function."}
	if e.Ack != nil {
		reply := tsType(e.Ack)
		j.OnFn = "(" + j.Param + ") => " + reply + " | Promise<" + reply + ">"
		first = []string{
			"Sets the handler of " + e.Name + ", which the server sends expecting an ack: fn's result, or what",
			"its Promise resolves to, is checked against the ack schema and sent back as {data}; a thrown",
			"EventwireError is sent as {error} with its code, anything else thrown as code \"internal\".",
			"A later call replaces fn; returns the function that removes it.",
		}
	}
	lines := append(first, docLines(eventDoc(e))...)
	if eventHoldsBytes(e) {
		lines = append(lines, "Bytes values arrive as Uint8Array (the type also allows ArrayBuffer, which emits take).")
	}
	j.OnDoc = tsComment("  ", lines)
	return j
}

// eventHoldsBytes reports whether e's payload or arguments hold bytes.
func eventHoldsBytes(e *spec.Event) bool {
	if holdsBytes(e.Payload) {
		return true
	}
	for _, a := range e.Args {
		if holdsBytes(a.Schema) {
			return true
		}
	}
	return false
}

// holdsBytes reports whether a value of s holds bytes anywhere, named types
// included (the spec refuses recursive types, so the walk ends).
func holdsBytes(s *spec.Schema) bool {
	if s == nil {
		return false
	}
	s = s.Resolve()
	if s.Kind == spec.KindBytes || holdsBytes(s.Items) || holdsBytes(s.Values) {
		return true
	}
	for _, f := range s.Fields {
		if holdsBytes(f.Schema) {
			return true
		}
	}
	return false
}

// jsSent is an event clients send, as the client's emit<GoName> sends it.
func jsSent(e *spec.Event, prefix string) jsEvent {
	j := jsEventOf(e, prefix)
	j.EmitResult = "Promise<void>"
	settle := "acknowledges it"
	if e.Ack != nil {
		j.EmitResult = "Promise<" + tsType(e.Ack) + ">"
		settle = "replies, with its ack reply"
	}
	emit := []string{"Sends " + e.Name + "; resolves when the server " + settle + ", rejects with an EventwireError."}
	if j.HasPayload || j.HasArgs {
		emit = []string{
			"Sends " + e.Name + " once the payload passes the checks the server makes; resolves when the server",
			settle + ", rejects with an EventwireError (code invalid_payload with details, sending nothing, when it does not).",
		}
	}
	lines := append(emit, docLines(eventDoc(e))...)
	if holdsBytes(e.Ack) {
		lines = append(lines, "The reply's bytes values arrive as Uint8Array.")
	}
	j.EmitDoc = tsComment("  ", lines)
	return j
}

// tsArgs is an event's arguments as a TypeScript parameter list; optional
// ones are optional parameters (x?: T | null), or, when a parameter follows
// (the ack callback of a wire signature), x: T | null | undefined.
func tsArgs(args []*spec.Field, followed bool) string {
	params := make([]string, len(args))
	for i, a := range args {
		t := tsType(a.Schema)
		switch {
		case a.Required:
			params[i] = jsParam(a.Name) + ": " + t
		case followed:
			params[i] = jsParam(a.Name) + ": " + t + " | null | undefined"
		default:
			params[i] = jsParam(a.Name) + "?: " + t + " | null"
		}
	}
	return strings.Join(params, ", ")
}

// jsParam is an argument's name as a JS parameter: as written, with Arg
// appended to a reserved word.
func jsParam(name string) string {
	switch name {
	case "arguments", "await", "break", "case", "catch", "class", "const", "continue", "debugger", "default",
		"delete", "do", "else", "enum", "eval", "export", "extends", "false", "finally", "for", "function", "if",
		"implements", "import", "in", "instanceof", "interface", "let", "new", "null", "package", "private",
		"protected", "public", "return", "static", "super", "switch", "this", "throw", "true", "try", "typeof",
		"var", "void", "while", "with", "yield":
		return name + "Arg"
	}
	return name
}

// joinParams joins the parameters that are not "".
func joinParams(params ...string) string {
	var out []string
	for _, p := range params {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// jsDoc is the JSDoc typedef of d, as " * " lines.
func jsDoc(d decl) string {
	var b strings.Builder
	for _, l := range append([]string{d.name + " is " + d.what + "."}, docLines(d.doc)...) {
		b.WriteString(strings.TrimRight(" * "+commentSafe(l), " ") + "\n")
	}
	if d.schema.Kind != spec.KindObject {
		b.WriteString(" * @typedef {" + tsType(d.schema) + "} " + d.name + "\n")
		return b.String()
	}
	b.WriteString(" * @typedef {object} " + d.name + "\n")
	for _, f := range d.schema.Fields {
		name := f.Name
		if !f.Required {
			name = "[" + name + "]"
		}
		line := " * @property {" + tsType(f.Schema) + "} " + name
		if doc := strings.Join(docLines(f.Schema.Doc), " "); doc != "" {
			line += " " + commentSafe(doc)
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// tsDecl is the TypeScript declaration of d with its comment.
func tsDecl(d decl) string {
	doc := tsComment("", append([]string{d.name + " is " + d.what + "."}, docLines(d.doc)...))
	if d.schema.Kind != spec.KindObject {
		return doc + "export type " + d.name + " = " + tsType(d.schema) + ";"
	}
	var b strings.Builder
	b.WriteString(doc + "export interface " + d.name + " {\n")
	for _, f := range d.schema.Fields {
		b.WriteString(tsComment("  ", docLines(f.Schema.Doc)))
		opt := ""
		if !f.Required {
			opt = "?"
		}
		b.WriteString("  " + f.Name + opt + ": " + tsType(f.Schema) + ";\n")
	}
	b.WriteString("}")
	return b.String()
}

// tsType is the TypeScript (and JSDoc) type of a value of s; an enum is the
// union of its values.
func tsType(s *spec.Schema) string {
	switch s.Kind {
	case spec.KindString:
		if len(s.Rules.Enum) > 0 {
			quoted := make([]string, len(s.Rules.Enum))
			for i, v := range s.Rules.Enum {
				quoted[i] = jsString(v)
			}
			return strings.Join(quoted, " | ")
		}
		return "string"
	case spec.KindInteger:
		if len(s.Rules.Enum) > 0 {
			return strings.Join(s.Rules.Enum, " | ") // canonical decimals
		}
		return "number"
	case spec.KindNumber:
		return "number"
	case spec.KindBoolean:
		return "boolean"
	case spec.KindAny:
		return "unknown"
	case spec.KindBytes:
		// What an emit takes; one declaration serves both directions, and
		// the client hands received bytes over as Uint8Array (the docs of
		// on<Event> and of the events interfaces say so).
		return "Uint8Array | ArrayBuffer"
	case spec.KindArray:
		item := tsType(s.Items)
		if strings.Contains(item, " | ") {
			item = "(" + item + ")"
		}
		return item + "[]"
	case spec.KindMap:
		return "Record<string, " + tsType(s.Values) + ">"
	case spec.KindRef:
		return s.RefType.GoName
	}
	return s.GoName
}

// tsComment is a /** */ comment of lines indented by indent; "" for none.
func tsComment(indent string, lines []string) string {
	switch len(lines) {
	case 0:
		return ""
	case 1:
		return indent + "/** " + commentSafe(lines[0]) + " */\n"
	}
	var b strings.Builder
	b.WriteString(indent + "/**\n")
	for _, l := range lines {
		b.WriteString(strings.TrimRight(indent+" * "+commentSafe(l), " ") + "\n")
	}
	b.WriteString(indent + " */\n")
	return b.String()
}

// commentSafe keeps doc text from closing a /* */ comment early.
func commentSafe(s string) string { return strings.ReplaceAll(s, "*/", "*\\/") }

// tsKey is an event name as an interface property key: bare when it is an
// identifier, quoted otherwise ("chat:line").
func tsKey(name string) string {
	for i, c := range name {
		if !(c == '_' || c == '$' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return jsString(name)
		}
	}
	return name
}

// jsString quotes s as a JavaScript string literal (JSON's syntax, which
// also escapes U+2028 and U+2029).
func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
