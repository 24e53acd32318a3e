package spec

import (
	"slices"
	"strings"
)

// ReservedGoNames are the exported identifiers every generated package
// declares itself; no named type or generated struct may take them.
func ReservedGoNames() []string {
	return []string{"Broadcaster", "Conn", "Handler", "NewServer", "Server"}
}

// ReservedJSNames are the type names the generated JS client and its .d.ts
// declare themselves. A spec's Go type names are its TypeScript type names
// too, so none may take these (internal/codegen tests that the list is
// complete).
func ReservedJSNames() []string {
	return []string{
		"AckReply", "Answerer", "Client", "ClientToServerEvents", "ConnectOptions", "ConnectionSchema", "Detail",
		"EventwireConnection", "EventwireError", "EventwireManager", "ManagerOptions", "PendingAck", "SchemaField",
		"SchemaNode", "ServerToClientEvents", "WebSocketConstructor", "WebSocketLike",
	}
}

// reservedEvent says why an event name cannot be used, or "" when it can.
// Socket.IO's client and server give these names their own meaning, and the
// eventwire: prefix belongs to the runtime (eventwire:error).
func reservedEvent(name string) string {
	switch name {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return "it is reserved by Socket.IO"
	}
	if strings.HasPrefix(name, "eventwire:") {
		return "the eventwire: prefix is reserved for the runtime's own events"
	}
	switch goName(name) {
	// The JS client has onConnect, onConnectError, onDisconnect and onError
	// methods of its own.
	case "Connect", "ConnectError", "Disconnect", "Error":
		return "its JS handler on" + goName(name) + " would clash with the client's own on" + goName(name)
	}
	return ""
}

func isLetter(c byte) bool { return isLower(c) || isUpper(c) }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// isEventName: a letter, then letters, digits and _ . : - (the separators of
// goName). Only ASCII, so names are safe in Go and JS string literals and
// their Go name is always a valid exported identifier.
func isEventName(s string) bool { return isName(s, "_.:-") }

// isFieldName: a letter, then letters, digits and _. No dots or brackets, so
// the detail paths "author.name" and "tags[2]" stay unambiguous.
func isFieldName(s string) bool { return isName(s, "_") }

// isTypeName: UpperCamel, an upper-case letter then letters and digits; the
// name is used as the Go type name unchanged.
func isTypeName(s string) bool { return s != "" && s[0] >= 'A' && s[0] <= 'Z' && isName(s, "") }

func isName(s, extra string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !isDigit(c) && !strings.ContainsRune(extra, rune(c)) {
			return false
		}
	}
	return true
}

// goName turns a wire or JSON name into an exported Go identifier. Words
// are split at _ . : - and where an upper-case letter follows a lower-case
// letter or a digit; each word gets its first letter upper-cased, or all its
// letters when it is one of golint's common initialisms
// (browser_to_message -> BrowserToMessage, messageText -> MessageText,
// userId and user_id -> UserID, url -> URL, ts -> Ts).
func goName(s string) string {
	var b strings.Builder
	for part := range strings.FieldsFuncSeq(s, func(r rune) bool { return strings.ContainsRune("_.:-", r) }) {
		for _, w := range camelWords(part) {
			if upper := strings.ToUpper(w); slices.Contains(commonInitialisms(), upper) {
				b.WriteString(upper)
			} else {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
	}
	return b.String()
}

// camelWords splits an ASCII name where an upper-case letter follows a
// lower-case letter or a digit: userId -> user Id, v2Api -> v2 Api. A run of
// capitals stays one word (HTTPServer), as golint leaves it.
func camelWords(s string) []string {
	var words []string
	start := 0
	for i := 1; i < len(s); i++ {
		if isUpper(s[i]) && (isLower(s[i-1]) || isDigit(s[i-1])) {
			words = append(words, s[start:i])
			start = i
		}
	}
	return append(words, s[start:])
}

// commonInitialisms is golint's list: a word that spells one of these is
// written all in capitals in a Go name.
func commonInitialisms() []string {
	return []string{
		"ACL", "API", "ASCII", "CPU", "CSS", "DNS", "EOF", "GUID", "HTML", "HTTP", "HTTPS", "ID", "IP", "JSON",
		"LHS", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP", "SQL", "SSH", "TCP", "TLS", "TTL", "UDP", "UI", "UID",
		"UUID", "URI", "URL", "UTF8", "VM", "XML", "XMPP", "XSRF", "XSS",
	}
}

// goTypeOwner records what produces a Go type name, for collision messages.
type goTypeOwner struct {
	what string
	pos  Pos
}

// claimGoType records that what (at pos) makes the generated package declare
// the Go type name; it reports a clash with the generated package's own
// identifiers or with an earlier claim.
func (p *parser) claimGoType(name, what string, pos Pos) {
	if slices.Contains(ReservedJSNames(), name) && !slices.Contains(ReservedGoNames(), name) {
		p.addAt(pos, "type name "+name+" of "+what+" is reserved: the generated JS client declares "+name,
			"rename it; reserved: "+strings.Join(ReservedJSNames(), ", "))
		return
	}
	p.claimGoName("Go type name", name, what, pos)
}

// claimGoName is claimGoType for an identifier only the Go package declares
// (an enum's type and constants), which noun names in messages ("Go type
// name", "Go constant name"): the JS client's names do not matter.
func (p *parser) claimGoName(noun, name, what string, pos Pos) {
	if slices.Contains(ReservedGoNames(), name) {
		p.addAt(pos, noun+" "+name+" of "+what+" is reserved: the generated package declares "+name,
			"rename it; reserved: "+strings.Join(ReservedGoNames(), ", "))
		return
	}
	if prev, taken := p.goTypes[name]; taken {
		p.addAt(pos, noun+" "+name+" of "+what+" is also the Go name of "+prev.what,
			prev.what+" is at "+prev.pos.String()+"; rename one of them")
		return
	}
	p.goTypes[name] = goTypeOwner{what: what, pos: pos}
}
