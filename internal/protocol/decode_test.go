package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// samePacket reports whether two packets have equal fields, Data compared by
// bytes and nil distinguished from empty.
func samePacket(a, b Packet) bool {
	return a.Type == b.Type && a.Namespace == b.Namespace && a.HasID == b.HasID &&
		a.ID == b.ID && a.Attachments == b.Attachments && bytes.Equal(a.Data, b.Data) &&
		(a.Data == nil) == (b.Data == nil)
}

func data(s string) []byte { return []byte(s) }

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Packet
	}{
		{"connect", `0`, Packet{Type: Connect, Namespace: "/"}},
		{"connect with auth", `0{"token":"123"}`, Packet{Type: Connect, Namespace: "/", Data: data(`{"token":"123"}`)}},
		{"connect namespace", `0/admin,`, Packet{Type: Connect, Namespace: "/admin"}},
		{"connect namespace without a comma", `0/admin`, Packet{Type: Connect, Namespace: "/admin"}},
		{"connect default namespace spelled without a comma", `0/`, Packet{Type: Connect, Namespace: "/"}},
		{"connect namespace auth", `0/admin,{"sid":"oSO0"}`, Packet{Type: Connect, Namespace: "/admin", Data: data(`{"sid":"oSO0"}`)}},
		{"default namespace spelled out", `0/,{}`, Packet{Type: Connect, Namespace: "/", Data: data(`{}`)}},
		{"disconnect", `1`, Packet{Type: Disconnect, Namespace: "/"}},
		{"disconnect namespace", `1/admin,`, Packet{Type: Disconnect, Namespace: "/admin"}},
		{"disconnect namespace without a comma", `1/admin`, Packet{Type: Disconnect, Namespace: "/admin"}},
		{"event", `2["foo"]`, Packet{Type: Event, Namespace: "/", Data: data(`["foo"]`)}},
		{"event args", `2["hey","Jude",{"a":[1,2]}]`, Packet{Type: Event, Namespace: "/", Data: data(`["hey","Jude",{"a":[1,2]}]`)}},
		{"event namespace", `2/admin,["bar"]`, Packet{Type: Event, Namespace: "/admin", Data: data(`["bar"]`)}},
		{"event ack id", `212["foo"]`, Packet{Type: Event, Namespace: "/", HasID: true, ID: 12, Data: data(`["foo"]`)}},
		{"event ack id zero", `20["foo"]`, Packet{Type: Event, Namespace: "/", HasID: true, ID: 0, Data: data(`["foo"]`)}},
		{"event namespace ack id", `2/admin,1["tellme"]`, Packet{Type: Event, Namespace: "/admin", HasID: true, ID: 1, Data: data(`["tellme"]`)}},
		{"event max ack id", `29007199254740991["x"]`, Packet{Type: Event, Namespace: "/", HasID: true, ID: MaxAckID, Data: data(`["x"]`)}},
		{"event whitespace", "2 [ \"a\" , 1 ] ", Packet{Type: Event, Namespace: "/", Data: data(" [ \"a\" , 1 ] ")}},
		{"event unicode namespace", `2/café,["a"]`, Packet{Type: Event, Namespace: "/café", Data: data(`["a"]`)}},
		{"ack", `312["bar"]`, Packet{Type: Ack, Namespace: "/", HasID: true, ID: 12, Data: data(`["bar"]`)}},
		{"ack empty", `312[]`, Packet{Type: Ack, Namespace: "/", HasID: true, ID: 12, Data: data(`[]`)}},
		{"ack namespace", `3/admin,13["bar"]`, Packet{Type: Ack, Namespace: "/admin", HasID: true, ID: 13, Data: data(`["bar"]`)}},
		{"connect error", `4{"message":"Not authorized"}`, Packet{Type: ConnectError, Namespace: "/", Data: data(`{"message":"Not authorized"}`)}},
		{"connect error namespace", `4/ns,{"message":"Invalid namespace"}`, Packet{Type: ConnectError, Namespace: "/ns", Data: data(`{"message":"Invalid namespace"}`)}},
		{"binary event", `51-["baz",{"_placeholder":true,"num":0}]`, Packet{Type: BinaryEvent, Namespace: "/", Attachments: 1, Data: data(`["baz",{"_placeholder":true,"num":0}]`)}},
		{"binary event namespace", `52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, Packet{Type: BinaryEvent, Namespace: "/admin", Attachments: 2, Data: data(`["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)}},
		{"binary event max attachments", `510-["a"]`, Packet{Type: BinaryEvent, Namespace: "/", Attachments: MaxAttachments, Data: data(`["a"]`)}},
		{"binary ack", `61-15["bar",{"_placeholder":true,"num":0}]`, Packet{Type: BinaryAck, Namespace: "/", Attachments: 1, HasID: true, ID: 15, Data: data(`["bar",{"_placeholder":true,"num":0}]`)}},
		{"binary ack namespace", `61-/admin,1[{"_placeholder":true,"num":0}]`, Packet{Type: BinaryAck, Namespace: "/admin", Attachments: 1, HasID: true, ID: 1, Data: data(`[{"_placeholder":true,"num":0}]`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode(%q): %v", tt.in, err)
			}
			if !samePacket(got, tt.want) {
				t.Fatalf("Decode(%q) = %+v (Data %q), want %+v (Data %q)", tt.in, got, got.Data, tt.want, tt.want.Data)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	const prefix = "eventwire: invalid packet: "
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "empty packet"},
		{"unknown type", `7["a"]`, `unknown packet type '7'`},
		{"letter type", `x`, `unknown packet type 'x'`},
		{"engine.io ping", "2probe", "EVENT payload is not valid JSON"},
		{"trailing garbage", `2["a"]x`, "EVENT payload is not valid JSON"},
		{"two values", `2["a"]["b"]`, "EVENT payload is not valid JSON"},
		{"truncated json", `2["a"`, "EVENT payload is not valid JSON"},
		{"nesting beyond json limit", `2["a",` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `]`, "EVENT payload is not valid JSON"},
		{"connect array", `0["a"]`, "CONNECT payload must be a JSON object"},
		{"connect string", `0"auth"`, "CONNECT payload must be a JSON object"},
		{"connect id", `012`, "CONNECT packet cannot carry an ack id"},
		{"disconnect payload", `1{}`, "DISCONNECT packet must have no payload"},
		{"disconnect id", `11`, "DISCONNECT packet cannot carry an ack id"},
		{"connect error id", `41{"message":"x"}`, "CONNECT_ERROR packet cannot carry an ack id"},
		{"ack attachments", `31-[]`, "ACK packet cannot carry attachments"},
		{"disconnect garbage", `1x`, "DISCONNECT payload is not valid JSON"},
		{"event no payload", `2`, "EVENT payload must be a JSON array starting with the event name"},
		{"event id no payload", `212`, "EVENT payload must be a JSON array starting with the event name"},
		{"event empty array", `2[]`, "EVENT payload must be a JSON array starting with the event name"},
		{"event number name", `2[1,"a"]`, "EVENT payload must be a JSON array starting with the event name"},
		{"event object", `2{"a":1}`, "EVENT payload must be a JSON array starting with the event name"},
		{"event attachments", `21-["a"]`, "EVENT packet cannot carry attachments"},
		{"ack without id", `3["a"]`, "ACK packet without ack id"},
		{"ack object", `31{}`, "ACK payload must be a JSON array"},
		{"ack no payload", `31`, "ACK payload must be a JSON array"},
		{"connect error string", `4"Not authorized"`, "CONNECT_ERROR payload must be a JSON object"},
		{"connect error absent", `4`, "CONNECT_ERROR payload must be a JSON object"},
		{"ack id too big", `29007199254740992["a"]`, "ack id exceeds 2^53-1"},
		{"ack id too many digits", `200000000000000001["a"]`, "ack id exceeds 2^53-1"},
		{"ack id uint64 overflow", `2` + strings.Repeat("9", 40) + `["a"]`, "ack id exceeds 2^53-1"},
		{"namespace to the end, then no payload", `2/admin["a"]`, "EVENT payload must be a JSON array starting with the event name"},
		{"namespace control char", "2/ad\nmin,[\"a\"]", "namespace contains a control character"},
		{"namespace invalid utf8", "2/\xff,[\"a\"]", "namespace is not valid UTF-8"},
		{"namespace after id", `21/admin,["a"]`, "EVENT payload is not valid JSON"},
		{"binary no count", `5["a"]`, "binary packet without attachment count"},
		{"binary no dash", `51["a"]`, "attachment count not terminated by '-'"},
		{"binary count only", `51`, "attachment count not terminated by '-'"},
		{"binary too many", `511-["a"]`, "more than 10 attachments"},
		{"binary too many digits", `5100-["a"]`, "more than 10 attachments"},
		{"binary second count", `51-2-["a"]`, "second attachment count"},
		{"binary ack without id", `61-["a"]`, "BINARY_ACK packet without ack id"},
		{"binary event number name", `51-[{"_placeholder":true,"num":0}]`, "BINARY_EVENT payload must be a JSON array starting with the event name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode(%q) = %+v, want error %q", tt.in, p, tt.want)
			}
			if !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("Decode(%q) error %v does not wrap ErrInvalidPacket", tt.in, err)
			}
			if err.Error() != prefix+tt.want {
				t.Errorf("Decode(%q) error = %q, want %q", tt.in, err.Error(), prefix+tt.want)
			}
			if !samePacket(p, Packet{}) {
				t.Errorf("Decode(%q) returned a non-zero packet with its error: %+v", tt.in, p)
			}
		})
	}
}

func TestDecodeDataAliasesInput(t *testing.T) {
	msg := []byte(`2["a",1]`)
	p, err := Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	if &p.Data[0] != &msg[1] {
		t.Error("Data does not alias the input")
	}
	if cap(p.Data) != len(p.Data) {
		t.Errorf("cap(Data) = %d, want %d so appends cannot write into the frame", cap(p.Data), len(p.Data))
	}
}

func TestPacketTypeString(t *testing.T) {
	tests := []struct {
		t    PacketType
		want string
	}{
		{Connect, "CONNECT"}, {Disconnect, "DISCONNECT"}, {Event, "EVENT"}, {Ack, "ACK"},
		{ConnectError, "CONNECT_ERROR"}, {BinaryEvent, "BINARY_EVENT"}, {BinaryAck, "BINARY_ACK"},
		{PacketType(9), "PacketType(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.t.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
