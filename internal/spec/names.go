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
	// The JS client has onConnect, onDisconnect and onError methods of its own.
	case "Connect", "Disconnect", "Error":
		return "its JS handler on" + goName(name) + " would clash with the client's own on" + goName(name)
	}
	return ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
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

// goName turns a wire or JSON name into an exported Go identifier: split on
// _ . : -, upper-case the first letter of each word, keep the rest as written
// (browser_to_message -> BrowserToMessage, messageText -> MessageText,
// user_ID -> UserID).
func goName(s string) string {
	var b strings.Builder
	for w := range strings.FieldsFuncSeq(s, func(r rune) bool { return strings.ContainsRune("_.:-", r) }) {
		b.WriteString(strings.ToUpper(w[:1]))
		b.WriteString(w[1:])
	}
	return b.String()
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
	if slices.Contains(ReservedGoNames(), name) {
		p.addAt(pos, "Go type name "+name+" of "+what+" is reserved: the generated package declares "+name,
			"rename it; reserved: "+strings.Join(ReservedGoNames(), ", "))
		return
	}
	if prev, taken := p.goTypes[name]; taken {
		p.addAt(pos, "Go type name "+name+" of "+what+" is also the Go type name of "+prev.what,
			prev.what+" is at "+prev.pos.String()+"; rename one of them")
		return
	}
	p.goTypes[name] = goTypeOwner{what: what, pos: pos}
}
