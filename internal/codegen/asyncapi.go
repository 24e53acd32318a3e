package codegen

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// AsyncAPIOptions say how to title the AsyncAPI document and where its
// server is.
type AsyncAPIOptions struct {
	// Title is info.title; gen passes the Go package name. Default "events".
	Title string
	// Version is info.version, the version of the described API; default "0.0.0".
	Version string
	// Host is the server's host[:port]; default "localhost:8080".
	Host string
	// Source is the spec path, named by the document's header comment (YAML).
	Source string
}

// The AsyncAPI defaults; docs/ASYNCAPI.md names them.
const (
	DefaultAsyncAPIVersion = "0.0.0"
	DefaultAsyncAPIHost    = "localhost:8080"
)

// framingDoc tells a reader how the document's messages map to frames.
const framingDoc = `Socket.IO v5 over Engine.IO v4, WebSocket transport only. The application described is the server: a send operation is an event the server emits to clients, a receive operation is one it handles from clients.

Each channel is a Socket.IO namespace (its address). A client joins one by sending the CONNECT packet 40 (or 40/admin, for a namespace other than "/") with its auth payload as JSON, e.g. 40{"token":"..."}; the server answers 40{"sid":"..."}, or 44{"message":...,"data":...} when it refuses.

Each message is an event packet 42["name",payload] (42/admin,["name",payload] in a namespace). An event with args sends them as separate elements, 42["name",arg1,arg2]. An event that expects an acknowledgement carries an ack id, 42<id>["name",payload], and the other side answers with 43<id>[{"data":reply}] or 43<id>[{"error":{...}}]: the operation's reply message. Bytes travel as binary attachments (packets 45 and 46).

A payload that fails its schema is refused with a machine-readable error (code invalid_payload and a detail per failed rule, components.schemas eventwire.Error): as the ack's error when the event had an ack id, otherwise as the event eventwire:error.`

// AsyncAPI returns the AsyncAPI 3.0 document of s: YAML when file ends in
// .yaml or .yml, JSON when it ends in .json. Channels, messages,
// operations and schemas are sorted, so the bytes depend only on s and
// opts.
func AsyncAPI(s *spec.Spec, file string, opts AsyncAPIOptions) ([]byte, error) {
	format, err := asyncAPIFormat(file)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("eventwire: codegen: nil spec")
	}
	opts = opts.withDefaults()
	doc := obj{
		{"asyncapi", "3.0.0"},
		{"info", obj{{"title", opts.Title}, {"version", opts.Version}, {"description", framingDoc}}},
		{"defaultContentType", "application/json"},
		{"servers", obj{{"socketio", obj{
			{"host", opts.Host},
			{"protocol", "ws"},
			{"pathname", "/socket.io/"},
			{"description", "The eventwire server's Socket.IO endpoint; the WebSocket URL is ws://HOST/socket.io/?EIO=4&transport=websocket."},
		}}}},
	}
	channels, operations, err := namespaces(s)
	if err != nil {
		return nil, err
	}
	doc.set("channels", channels)
	doc.set("operations", operations)
	schemas, err := namedSchemas(s)
	if err != nil {
		return nil, err
	}
	doc.set("components", obj{{"schemas", schemas}})
	return encodeDocument(doc, format, opts.Source)
}

func (o AsyncAPIOptions) withDefaults() AsyncAPIOptions {
	if o.Title == "" {
		o.Title = "events"
	}
	if o.Version == "" {
		o.Version = DefaultAsyncAPIVersion
	}
	if o.Host == "" {
		o.Host = DefaultAsyncAPIHost
	}
	if o.Source == "" {
		o.Source = "events.yaml"
	}
	return o
}

// namespace is what one channel is built from: "/" or an entry of namespaces.
type namespace struct {
	id, address, doc string
	prefix           string // prepended to event GoNames in operation ids
	auth             *spec.Schema
	events           []*spec.Event
}

// namespaces returns the channels (one per namespace, "/" first) and the
// operations of all of them, sorted by id.
func namespaces(s *spec.Spec) (channels, operations obj, err error) {
	all := []namespace{{id: "root", address: "/", doc: "The main namespace.", auth: s.Auth, events: s.Events}}
	for _, ns := range s.Namespaces {
		all = append(all, namespace{id: ns.GoName, address: ns.Name, doc: ns.Doc, prefix: ns.GoName, auth: ns.Auth, events: ns.Events})
	}
	for _, ns := range all {
		ch, ops, err := ns.channel()
		if err != nil {
			return nil, nil, err
		}
		channels = append(channels, member{ns.id, ch})
		operations = append(operations, ops...)
	}
	sortMembers(operations)
	return channels, operations, nil
}

// channel returns the namespace's channel and its operations.
func (ns namespace) channel() (obj, obj, error) {
	ref := obj{{"$ref", "#/channels/" + ns.id}}
	var msgs, ops obj
	if ns.auth != nil {
		m, op, err := ns.connect(ref)
		if err != nil {
			return nil, nil, err
		}
		msgs, ops = append(msgs, m), append(ops, op)
	}
	errMsg, errOp := ns.errorMessage(ref)
	msgs, ops = append(msgs, errMsg), append(ops, errOp)
	for _, e := range ns.events {
		m, ack, err := message(e)
		if err != nil {
			return nil, nil, err
		}
		msgs = append(msgs, member{e.GoName, m})
		if ack != nil {
			msgs = append(msgs, member{e.GoName + "Ack", ack})
		}
		ops = append(ops, ns.operations(e, ref)...)
	}
	if err := checkUnique(msgs, ns.address); err != nil {
		return nil, nil, err
	}
	sortMembers(msgs)
	ch := obj{{"address", ns.address}, {"title", ns.address}}
	ch.set("description", ns.doc)
	ch.set("messages", msgs)
	ch.set("bindings", wsBinding())
	return ch, ops, nil
}

// connect is the namespace's CONNECT auth as a message the server receives.
func (ns namespace) connect(channel obj) (member, member, error) {
	payload, err := jsonSchema(ns.auth)
	if err != nil {
		return member{}, member{}, err
	}
	nsp := "" // the packets' namespace part
	if ns.address != "/" {
		nsp = ns.address + ","
	}
	m := obj{
		// No name: the auth is not an event, so no 42["connect",...].
		{"title", "CONNECT auth"},
		{"summary", "The auth payload of the Socket.IO CONNECT packet."},
		{"description", joinDoc(ns.auth.Doc, "Sent once per namespace as 40"+nsp+"{...} (socket.io-client's auth option), not as an event. "+
			`The server answers 40`+nsp+`{"sid":...}, or 44`+nsp+`{"message":"invalid auth","data":{"code":"invalid_payload","details":[...]}} when the payload fails this schema. `+
			"With connection state recovery, socket.io-client adds pid and offset to it; the server takes them out before the check.")},
		{"payload", payload},
	}
	id := "connect" + ns.prefix
	op := obj{
		{"action", "receive"},
		{"channel", channel},
		{"summary", "A client connects to " + ns.address + " with its auth payload."},
		{"messages", []any{obj{{"$ref", "#/channels/" + ns.id + "/messages/connect"}}}},
	}
	return member{"connect", m}, member{id, op}, nil
}

// message returns e's message and, when e has a typed ack, the ack's.
func message(e *spec.Event) (obj, obj, error) {
	m := obj{{"name", e.Name}}
	summary, rest := docParts(e.Doc)
	m.set("summary", summary)
	m.set("description", rest)
	switch {
	case e.Args != nil:
		p, err := argsSchema(e.Args)
		if err != nil {
			return nil, nil, err
		}
		m = append(m, member{"payload", p}) // kept when {}: any JSON value
	case e.Payload != nil:
		p, err := jsonSchema(e.Payload)
		if err != nil {
			return nil, nil, err
		}
		m = append(m, member{"payload", notNull(e.Payload, p)})
	default:
		m.set("description", joinDoc(rest, "The event carries no data: 42[\""+e.Name+"\"]."))
	}
	if e.Ack == nil {
		return m, nil, nil
	}
	p, err := jsonSchema(e.Ack)
	if err != nil {
		return nil, nil, err
	}
	p = notNull(e.Ack, p)
	// An ack has no wire name of its own, so no name: only a title.
	ack := obj{
		{"title", e.Name + " ack"},
		{"summary", "The acknowledgement of " + e.Name + `, sent back as 43<id>[{"data":reply}], or 43<id>[{"error":{...}}] when it failed.`},
		{"payload", ackEnvelope(p)},
	}
	return m, ack, nil
}

// ackEnvelope is what an ACK carries in both directions: {"data": reply}
// or {"error": {...}}.
func ackEnvelope(reply obj) obj {
	data := obj{{"type", "object"}, {"properties", obj{{"data", reply}}}, {"required", []string{"data"}}, {"additionalProperties", false}}
	failed := obj{{"type", "object"}, {"properties", obj{{"error", obj{{"$ref", schemaRef + errorSchema}}}}}, {"required", []string{"error"}}, {"additionalProperties", false}}
	return obj{{"oneOf", []any{data, failed}}}
}

// errorMessage is the eventwire:error event, which the server emits when an
// event without an ack id fails, and its operation.
func (ns namespace) errorMessage(channel obj) (member, member) {
	m := obj{
		{"name", "eventwire:error"},
		{"title", "eventwire:error"},
		{"summary", "An event the client sent without an ack id failed: the error and the event's name."},
		{"payload", obj{{"allOf", []any{
			obj{{"$ref", schemaRef + errorSchema}},
			obj{{"type", "object"}, {"properties", obj{{"event", obj{{"type", "string"}, {"description", "The name of the event that failed."}}}}}, {"required", []string{"event"}}},
		}}}},
	}
	op := obj{
		{"action", "send"},
		{"channel", channel},
		{"summary", "The server tells a client that an event it sent failed (events sent with an ack id get the error as the ack instead)."},
		{"messages", []any{obj{{"$ref", "#/channels/" + ns.id + "/messages/" + errorMessageID}}}},
	}
	return member{errorMessageID, m}, member{"eventwireError" + ns.prefix, op}
}

// operations are e's send (server to clients) and receive (clients to
// server) operations. An ack is the operation's reply, sent by whichever
// side received the event: the client for send, the server for receive.
func (ns namespace) operations(e *spec.Event, channel obj) []member {
	msgRef := func(id string) []any { return []any{obj{{"$ref", "#/channels/" + ns.id + "/messages/" + id}}} }
	op := func(action, summary string) obj {
		o := obj{{"action", action}, {"channel", channel}, {"summary", summary}, {"messages", msgRef(e.GoName)}}
		if e.Ack != nil {
			o.set("reply", obj{{"channel", channel}, {"messages", msgRef(e.GoName + "Ack")}})
		}
		return o
	}
	var out []member
	if e.Direction.ServerSends() {
		s := "The server emits " + e.Name + " to clients."
		if e.Ack != nil {
			s += " The client answers with the ack."
		}
		out = append(out, member{"send" + ns.prefix + e.GoName, op("send", s)})
	}
	if e.Direction.ClientSends() {
		s := "A client emits " + e.Name + " to the server."
		if e.Ack != nil {
			s += " The server answers with the ack."
		}
		out = append(out, member{"receive" + ns.prefix + e.GoName, op("receive", s)})
	}
	return out
}

// wsBinding describes the WebSocket upgrade request of Engine.IO v4.
func wsBinding() obj {
	query := obj{
		{"type", "object"},
		{"properties", obj{
			{"EIO", obj{{"type", "string"}, {"const", "4"}, {"description", "Engine.IO protocol version."}}},
			{"transport", obj{{"type", "string"}, {"const", "websocket"}}},
		}},
		{"required", []string{"EIO", "transport"}},
	}
	return obj{{"ws", obj{{"method", "GET"}, {"query", query}, {"bindingVersion", "0.1.0"}}}}
}

// namedSchemas are the spec's named types, by name.
func namedSchemas(s *spec.Spec) (obj, error) {
	var out obj
	for _, t := range s.Types {
		sc, err := jsonSchema(t.Schema)
		if err != nil {
			return nil, err
		}
		if t.Doc != "" && descriptionOf(sc) == "" {
			sc = withDescription(sc, t.Doc)
		}
		out = append(out, member{t.Name, sc})
	}
	out = append(out, errorSchemas()...)
	sortMembers(out)
	return out, nil
}

// docParts splits a doc into its first paragraph, on one line (a
// summary), and the paragraphs after it.
func docParts(doc string) (summary, rest string) {
	first, more, _ := strings.Cut(strings.TrimSpace(doc), "\n\n")
	return strings.Join(strings.Fields(first), " "), strings.TrimSpace(more)
}

// checkUnique refuses two messages with one id in a channel: an event
// foo_ack next to an event foo with an ack would both be FooAck.
func checkUnique(msgs obj, address string) error {
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.key] {
			return fmt.Errorf("eventwire: codegen: AsyncAPI: namespace %q has two messages %s (an event's ack is <GoName>Ack); rename one event", address, m.key)
		}
		seen[m.key] = true
	}
	return nil
}

func sortMembers(o obj) {
	slices.SortStableFunc(o, func(a, b member) int { return strings.Compare(a.key, b.key) })
}

// The error model's ids in the document. Spec type names and event Go
// names cannot hold a dot or start in lower case, so these never collide.
const (
	errorSchema    = "eventwire.Error"
	detailSchema   = "eventwire.Detail"
	errorMessageID = "eventwireError"
)

// errorSchemas are the error object and its details (docs/PROTOCOL.md,
// "Errors").
func errorSchemas() []member {
	str := func(doc string) obj { return obj{{"type", "string"}, {"description", doc}} }
	errObj := obj{
		{"type", "object"},
		{"title", "Error"},
		{"description", "Why an event failed. Match on code and details, not on message."},
		{"properties", obj{
			{"code", str("For programs: unknown_event, not_allowed, invalid_payload, internal, rate_limited, or a code the handler returned.")},
			{"message", str("For people.")},
			{"details", obj{{"type", "array"}, {"description", "One per problem, for invalid_payload; left out when there are none."}, {"items", obj{{"$ref", schemaRef + detailSchema}}}}},
		}},
		{"required", []string{"code", "message"}},
	}
	detail := obj{
		{"type", "object"},
		{"title", "Detail"},
		{"description", "One rule a payload broke."},
		{"properties", obj{
			{"field", str(`The value's path: "" for the payload, name, items[2], tags.a, tags["a b"].`)},
			{"rule", str("The rule: required, unknown, type, a rule of events.yaml (minLength, pattern, format, keyPattern...).")},
			{"param", str("The rule's parameter, when it has one (500 for maxLength: 500).")},
			{"message", str("For people.")},
		}},
		{"required", []string{"field", "rule", "message"}},
	}
	return []member{{errorSchema, errObj}, {detailSchema, detail}}
}
