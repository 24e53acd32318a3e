package protocol

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
		want string
	}{
		{"connect", Packet{Type: Connect, Namespace: "/"}, `40`},
		{"connect empty namespace", Packet{Type: Connect}, `40`},
		{"connect sid", Packet{Type: Connect, Namespace: "/", Data: data(`{"sid":"abc"}`)}, `40{"sid":"abc"}`},
		{"connect namespace", Packet{Type: Connect, Namespace: "/admin", Data: data(`{"sid":"abc"}`)}, `40/admin,{"sid":"abc"}`},
		{"disconnect", Packet{Type: Disconnect, Namespace: "/"}, `41`},
		{"disconnect namespace", Packet{Type: Disconnect, Namespace: "/admin"}, `41/admin,`},
		{"event", Packet{Type: Event, Namespace: "/", Data: data(`["foo"]`)}, `42["foo"]`},
		{"event id", Packet{Type: Event, HasID: true, ID: 12, Data: data(`["foo"]`)}, `4212["foo"]`},
		{"event id zero", Packet{Type: Event, HasID: true, Data: data(`["foo"]`)}, `420["foo"]`},
		{"ack namespace", Packet{Type: Ack, Namespace: "/admin", HasID: true, ID: 13, Data: data(`["bar"]`)}, `43/admin,13["bar"]`},
		{"connect error", Packet{Type: ConnectError, Namespace: "/ns", Data: data(`{"message":"Invalid namespace"}`)}, `44/ns,{"message":"Invalid namespace"}`},
		{"binary event", Packet{Type: BinaryEvent, Namespace: "/admin", Attachments: 2, Data: data(`["baz"]`)}, `452-/admin,["baz"]`},
		{"binary ack", Packet{Type: BinaryAck, Attachments: 1, HasID: true, ID: 15, Data: data(`["bar"]`)}, `461-15["bar"]`},
		{"attachments ignored on event", Packet{Type: Event, Attachments: 3, Data: data(`["a"]`)}, `42["a"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Append([]byte("keep"), tt.p))
			if got != "keep"+tt.want {
				t.Errorf("Append = %q, want %q", got, "keep"+tt.want)
			}
		})
	}
}

// TestRoundTrip decodes frames the reference implementation sends and checks
// that Append writes them back byte for byte.
func TestRoundTrip(t *testing.T) {
	frames := []string{
		`40`, `40{"token":"123"}`, `40/admin,`, `40/admin,{"sid":"x"}`, `41`, `41/admin,`,
		`42["foo"]`, `4212["foo",{"a":[1,{"b":null}]}]`, `42/admin,1["tellme"]`,
		`430[]`, `43/admin,13["bar"]`, `44{"message":"Not authorized"}`,
		`451-["baz",{"_placeholder":true,"num":0}]`, `452-/admin,["baz",{},{}]`,
		`461-15["bar",{"_placeholder":true,"num":0}]`, `42` + "9007199254740991" + `["max"]`,
	}
	for _, f := range frames {
		t.Run(f, func(t *testing.T) {
			p, err := Decode([]byte(f[1:]))
			if err != nil {
				t.Fatalf("Decode(%q): %v", f[1:], err)
			}
			if got := string(Append(nil, p)); got != f {
				t.Errorf("Append(Decode(%q)) = %q", f, got)
			}
		})
	}
}

func TestAppendEvent(t *testing.T) {
	tests := []struct {
		name      string
		namespace string
		hasID     bool
		id        uint64
		event     string
		args      []string
		want      string
	}{
		{"no args", "/", false, 0, "ping", nil, `42["ping"]`},
		{"empty namespace", "", false, 0, "ping", nil, `42["ping"]`},
		{"one arg", "/", false, 0, "chat", []string{`{"messageText":"hi"}`}, `42["chat",{"messageText":"hi"}]`},
		{"two args", "/", false, 0, "hey", []string{`"Jude"`, `[1,2]`}, `42["hey","Jude",[1,2]]`},
		{"ack id", "/", true, 7, "hello", []string{`1`}, `427["hello",1]`},
		{"ack id zero", "/", true, 0, "hello", nil, `420["hello"]`},
		{"namespace and id", "/admin", true, 13, "foo", nil, `42/admin,13["foo"]`},
		{"empty arg is null", "/", false, 0, "x", []string{``}, `42["x",null]`},
		{"escaped name", "/", false, 0, "a\"b\\c\n\x01", nil, `42["a\"b\\c\n\u0001"]`},
		{"unicode name", "/", false, 0, "héllo 🌍", nil, `42["héllo 🌍"]`},
		{"invalid utf8 name", "/", false, 0, "a\xffb", nil, `42["a\ufffdb"]`},
		{"line separator name", "/", false, 0, "a\u2028b\u2029", nil, `42["a\u2028b\u2029"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([][]byte, len(tt.args))
			for i, a := range tt.args {
				args[i] = []byte(a)
			}
			got := string(AppendEvent(nil, tt.namespace, tt.hasID, tt.id, tt.event, args...))
			if got != tt.want {
				t.Fatalf("AppendEvent = %q, want %q", got, tt.want)
			}
			p, err := Decode([]byte(got[1:]))
			if err != nil {
				t.Fatalf("Decode(AppendEvent) = %v", err)
			}
			name, _, err := SplitEvent(p.Data)
			if err != nil {
				t.Fatalf("SplitEvent: %v", err)
			}
			if want := strings.ToValidUTF8(tt.event, "\ufffd"); name != want {
				t.Errorf("event name round trip = %q, want %q", name, want)
			}
		})
	}
}

func TestAppendAck(t *testing.T) {
	tests := []struct {
		name      string
		namespace string
		id        uint64
		args      []string
		want      string
	}{
		{"no args", "/", 12, nil, `4312[]`},
		{"data reply", "/", 5, []string{`{"data":null}`}, `435[{"data":null}]`},
		{"error reply", "/", 5, []string{`{"error":{"code":"unknown_event","message":"x"}}`}, `435[{"error":{"code":"unknown_event","message":"x"}}]`},
		{"two args", "", 0, []string{`1`, `"b"`}, `430[1,"b"]`},
		{"namespace", "/admin", 13, []string{`"bar"`}, `43/admin,13["bar"]`},
		{"empty arg is null", "/", 1, []string{``}, `431[null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([][]byte, len(tt.args))
			for i, a := range tt.args {
				args[i] = []byte(a)
			}
			got := string(AppendAck(nil, tt.namespace, tt.id, args...))
			if got != tt.want {
				t.Fatalf("AppendAck = %q, want %q", got, tt.want)
			}
			if _, err := Decode([]byte(got[1:])); err != nil {
				t.Errorf("Decode(AppendAck) = %v", err)
			}
		})
	}
}

// TestAppendBinary checks the BINARY_EVENT and BINARY_ACK forms and that
// Decode reads back the type, attachment count, namespace and id.
func TestAppendBinary(t *testing.T) {
	ph := []byte(`{"_placeholder":true,"num":0}`)
	tests := []struct {
		name  string
		frame []byte
		want  string
		typ   PacketType
		atts  int
	}{
		{"event", AppendBinaryEvent(nil, "/", false, 0, "file", 1, ph), `451-["file",{"_placeholder":true,"num":0}]`, BinaryEvent, 1},
		{"event with ns and id", AppendBinaryEvent(nil, "/admin", true, 9, "file", 2, ph), `452-/admin,9["file",{"_placeholder":true,"num":0}]`, BinaryEvent, 2},
		{"zero attachments is a plain event", AppendBinaryEvent(nil, "/", false, 0, "file", 0, []byte(`1`)), `42["file",1]`, Event, 0},
		{"ack", AppendBinaryAck(nil, "/", 3, 2, []byte(`{"data":[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]}`)),
			`462-3[{"data":[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]}]`, BinaryAck, 2},
		{"ack with ns", AppendBinaryAck(nil, "/admin", 0, 1, ph), `461-/admin,0[{"_placeholder":true,"num":0}]`, BinaryAck, 1},
		{"zero attachments is a plain ack", AppendBinaryAck(nil, "/", 3, 0, []byte(`1`)), `433[1]`, Ack, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if string(tt.frame) != tt.want {
				t.Fatalf("frame = %q, want %q", tt.frame, tt.want)
			}
			p, err := Decode(tt.frame[1:])
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if p.Type != tt.typ || p.Attachments != tt.atts {
				t.Errorf("decoded type %v with %d attachments, want %v with %d", p.Type, p.Attachments, tt.typ, tt.atts)
			}
		})
	}
}

func TestAppendOpen(t *testing.T) {
	tests := []struct {
		name string
		o    OpenPacket
		want string
	}{
		{
			"defaults",
			OpenPacket{SID: "abc", PingInterval: 25000, PingTimeout: 20000, MaxPayload: 1000000},
			`0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
		},
		{
			"upgrades and escaping",
			OpenPacket{SID: `a"b`, Upgrades: []string{"websocket", "x"}, PingInterval: 1, PingTimeout: 2, MaxPayload: 3},
			`0{"sid":"a\"b","upgrades":["websocket","x"],"pingInterval":1,"pingTimeout":2,"maxPayload":3}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(AppendOpen(nil, tt.o))
			if got != tt.want {
				t.Fatalf("AppendOpen = %q, want %q", got, tt.want)
			}
			var back OpenPacket
			if err := json.Unmarshal([]byte(got[1:]), &back); err != nil {
				t.Fatalf("open payload is not JSON: %v", err)
			}
			if back.SID != tt.o.SID || back.Upgrades == nil || back.MaxPayload != tt.o.MaxPayload {
				t.Errorf("open payload decodes to %+v, want %+v", back, tt.o)
			}
		})
	}
}

// TestAppendJSONStringMatchesEncodingJSON checks the hand-written escaper
// against the standard library on every byte and some tricky runes.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for b := 0; b < 256; b++ {
		all.WriteByte(byte(b))
	}
	inputs := []string{"", "plain", all.String(), "\u2028\u2029", "🌍€", "\xed\xa0\x80", "<&>"}
	for _, in := range inputs {
		enc := appendJSONString(nil, in)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %q: not JSON: %v", in, enc, err)
		}
		want, _ := json.Marshal(in)
		var wantStr string
		_ = json.Unmarshal(want, &wantStr)
		if got != wantStr {
			t.Errorf("appendJSONString(%q) decodes to %q, encoding/json gives %q", in, got, wantStr)
		}
	}
}
