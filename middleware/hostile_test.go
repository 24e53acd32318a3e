package middleware

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/internal/engineio"
)

// hostileFrame is one WebSocket frame an attacker sends.
type hostileFrame struct {
	binary bool
	data   string
}

func text(s string) hostileFrame { return hostileFrame{data: s} }
func bin(s string) hostileFrame  { return hostileFrame{binary: true, data: s} }

// outcome is what a hostile input must get: a close code (and the
// OnDisconnect reason), or a reply frame containing want, after which the
// connection must still work.
type outcome struct {
	close  int
	reason string
	want   string // with close 0: a substring of the next frame
}

func closes(code int, reason string) outcome { return outcome{close: code, reason: reason} }
func replies(want string) outcome            { return outcome{want: want} }

// TestHostileInputs sends each hostile input on a fresh connection of one
// server, checks its outcome, then checks that a bystander connected the
// whole time still works and received nothing of it, and that nothing
// panicked.
func TestHostileInputs(t *testing.T) {
	const maxPayload = 256 << 10
	nested := func(depth int) string { return strings.Repeat("[", depth) + strings.Repeat("]", depth) }
	nestedObj := func(depth int) string { return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth) }
	manyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"messageText":"x"`)
		for i := range n {
			fmt.Fprintf(&b, `,"k%d":1`, i)
		}
		return b.String() + "}"
	}
	ph := func(i int) string { return fmt.Sprintf(`{"_placeholder":true,"num":%d}`, i) }
	parseErr := func(code int) outcome { return closes(code, engineio.ReasonParseError) }
	tests := []struct {
		name    string
		noHello bool // do not send CONNECT first
		frames  []hostileFrame
		want    outcome
	}{
		// Engine.IO and Socket.IO framing.
		{"event before CONNECT", true, []hostileFrame{text(`42["echo","a"]`)}, closes(websocket.CloseProtocolError, "")},
		{"empty frame", false, []hostileFrame{text("")}, parseErr(websocket.CloseProtocolError)},
		{"unknown Engine.IO type", false, []hostileFrame{text("9")}, parseErr(websocket.CloseProtocolError)},
		{"open packet from a client", false, []hostileFrame{text(`0{"sid":"x"}`)}, parseErr(websocket.CloseProtocolError)},
		{"unknown Socket.IO type", false, []hostileFrame{text("47[]")}, parseErr(websocket.CloseProtocolError)},
		{"CONNECT_ERROR from a client", false, []hostileFrame{text(`44{"message":"x"}`)}, parseErr(websocket.CloseProtocolError)},
		{"second CONNECT", false, []hostileFrame{text("40")}, parseErr(websocket.CloseProtocolError)},
		{"EVENT on a namespace not connected", false, []hostileFrame{text(`42/admin,["echo","a"]`)}, parseErr(websocket.CloseProtocolError)},
		{"invalid UTF-8", false, []hostileFrame{text("42[\"echo\",\"\xff\xfe\"]")}, parseErr(websocket.CloseInvalidFramePayloadData)},
		{"overlong UTF-8 for a slash", false, []hostileFrame{text("42[\"echo\",\"\xc0\xaf\"]")}, parseErr(websocket.CloseInvalidFramePayloadData)},
		{"frame over max_payload", false, []hostileFrame{text(`42["echo","` + strings.Repeat("x", maxPayload) + `"]`)},
			closes(websocket.CloseMessageTooBig, engineio.ReasonTransportError)},
		// Event packets.
		{"EVENT that is not JSON", false, []hostileFrame{text(`42["echo",`)}, parseErr(websocket.CloseProtocolError)},
		{"EVENT that is an object", false, []hostileFrame{text(`42{"echo":1}`)}, parseErr(websocket.CloseProtocolError)},
		{"EVENT without a name", false, []hostileFrame{text(`42[]`)}, parseErr(websocket.CloseProtocolError)},
		{"numeric event name", false, []hostileFrame{text(`42[1,"a"]`)}, parseErr(websocket.CloseProtocolError)},
		{"null event name", false, []hostileFrame{text(`42[null]`)}, parseErr(websocket.CloseProtocolError)},
		{"trailing bytes after the array", false, []hostileFrame{text(`42["echo","a"]xyz`)}, parseErr(websocket.CloseProtocolError)},
		{"ack id that is not a number", false, []hostileFrame{text(`42x["echo","a"]`)}, parseErr(websocket.CloseProtocolError)},
		{"ack id beyond 2^53", false, []hostileFrame{text(`429007199254740992["echo","a"]`)}, parseErr(websocket.CloseProtocolError)},
		{"more than 32 arguments", false, []hostileFrame{text(`42["echo"` + strings.Repeat(`,"a"`, 33) + `]`)}, parseErr(websocket.CloseProtocolError)},
		{"unknown event", false, []hostileFrame{text(`421["no_such_event","a"]`)}, replies(`"code":"unknown_event"`)},
		{"server-only event from a client", false, []hostileFrame{text(`421["link","a"]`)}, replies(`"code":"not_allowed"`)},
		{"reserved event name", false, []hostileFrame{text(`421["eventwire:error",{}]`)}, replies(`"code":"unknown_event"`)},
		{"wrong payload type", false, []hostileFrame{text(`421["echo",123]`)}, replies(`"rule":"type","param":"string"`)},
		{"null payload", false, []hostileFrame{text(`421["browser_to_message",null]`)}, replies(`"rule":"required"`)},
		{"duplicate keys", false, []hostileFrame{text(`421["browser_to_message",{"messageText":"a","messageText":"b"}]`)}, replies(`"code":"invalid_payload"`)},
		{"10,000 unknown keys, 100 details", false, []hostileFrame{text(`421["browser_to_message",` + manyKeys(10000) + `]`)}, replies(`"field":"k99","rule":"unknown"`)},
		// Nesting: refused by type below Go's JSON limit of 10,000 levels,
		// a protocol error above it; never a recursion the input controls.
		{"100,000 nested arrays", false, []hostileFrame{text(`421["echo",` + nested(100000) + `]`)}, parseErr(websocket.CloseProtocolError)},
		{"9,000 nested arrays", false, []hostileFrame{text(`421["echo",` + nested(9000) + `]`)}, replies(`"rule":"type","param":"string"`)},
		{"9,000 nested objects in a field", false, []hostileFrame{text(`421["profile",{"age":1,"role":"user","address":` + nestedObj(9000) + `}]`)},
			replies(`"field":"address.a","rule":"unknown"`)},
		{"9,000 nested arrays in an array payload", false, []hostileFrame{text(`421["numbers",[` + nested(9000) + `]]`)}, replies(`"rule":"type","param":"integer"`)},
		{"huge integer", false, []hostileFrame{text(`421["numbers",[` + strings.Repeat("9", 400) + `]]`)}, replies(`"rule":"type","param":"integer"`)},
		{"lone surrogate escape", false, []hostileFrame{text(`42["echo","\ud800"]`)}, replies(`42["echo","` + "\ufffd" + `"]`)},
		{"handler panic", false, []hostileFrame{text(`421["act","panic"]`)}, replies(`"code":"internal"`)},
		{"ack for an id never sent", false, []hostileFrame{text(`4377[{"data":1}]`), text(`42["echo","alive"]`)}, replies(`42["echo","alive"]`)},
		{"pong without ping", false, []hostileFrame{text("3"), text(`42["echo","alive"]`)}, replies(`42["echo","alive"]`)},
		{"Engine.IO ping from the client", false, []hostileFrame{text("2probe")}, replies(`3probe`)},
		{"unknown namespace", false, []hostileFrame{text(`40/nowhere,`)}, replies(`44/nowhere,{"message":"Invalid namespace"}`)},
		// Binary packets.
		{"binary frame without a header", false, []hostileFrame{bin("\x01\x02")}, parseErr(websocket.CloseProtocolError)},
		{"11 attachments announced", false, []hostileFrame{text(`4511-["echo"]`)}, parseErr(websocket.CloseProtocolError)},
		{"placeholder out of range", false, []hostileFrame{text(`451-["echo",` + ph(5) + `]`), bin("a")}, parseErr(websocket.CloseProtocolError)},
		{"text frame inside a binary packet", false, []hostileFrame{text(`452-["echo",` + ph(0) + `]`), bin("a"), text(`42["echo","a"]`)},
			parseErr(websocket.CloseProtocolError)},
		{"attachment over max_attachment_size", false, []hostileFrame{text(`451-["echo",` + ph(0) + `]`), bin(strings.Repeat("x", 1025))},
			parseErr(websocket.CloseMessageTooBig)},
		{"placeholder nested 100,000 deep", false, []hostileFrame{text(`451-["echo",` + strings.Repeat("[", 100000) + ph(0) + strings.Repeat("]", 100000) + `]`), bin("a")},
			parseErr(websocket.CloseProtocolError)},
	}
	cfg := testConfig()
	cfg.MaxPayload = maxPayload
	cfg.MaxAttachmentSize = 1024
	cfg.RateBurst = 100 // the bystander echoes once per case; rate_limit_test.go covers floods
	h := newHarness(t, cfg)
	bystander, _ := h.connect()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c *client
			if tc.noHello {
				c = h.dial(nil)
			} else {
				c, _ = h.connect()
			}
			c.t = t
			for _, f := range tc.frames {
				typ := websocket.TextMessage
				if f.binary {
					typ = websocket.BinaryMessage
				}
				if err := c.ws.WriteMessage(typ, []byte(f.data)); err != nil {
					t.Fatalf("send: %v", err)
				}
			}
			checkOutcome(t, h, c, tc.noHello, tc.want)
			// The bystander still works and got nothing of the attack.
			bystander.t = t
			want := fmt.Sprintf(`42["echo","ok %d"]`, i)
			bystander.send(want)
			if got := bystander.read(); got != want {
				t.Fatalf("bystander read %.200q, want its own echo", got)
			}
		})
	}
	if logs := h.logs.String(); !strings.Contains(logs, `level=ERROR msg="eventwire: handler panicked" event=act`) {
		t.Errorf("the handler panic was not logged at error level with its event:\n%s", logs)
	}
}

// checkOutcome reads what the attacker's connection gets.
func checkOutcome(t *testing.T, h *harness, c *client, neverConnected bool, want outcome) {
	t.Helper()
	if want.close != 0 {
		c.expectClose(want.close)
		if neverConnected {
			return
		}
		select {
		case d := <-h.gone:
			if want.reason != "" && d.reason != want.reason {
				t.Errorf("OnDisconnect reason %q, want %q", d.reason, want.reason)
			}
		case <-time.After(5 * time.Second):
			t.Error("OnDisconnect did not run")
		}
		return
	}
	got := c.read()
	if !strings.Contains(got, want.want) {
		t.Fatalf("got %.300q, want it to contain %q", got, want.want)
	}
	if strings.HasPrefix(got, "43") {
		var reply []json.RawMessage
		if err := json.Unmarshal([]byte(got[strings.Index(got, "["):]), &reply); err != nil || len(reply) != 1 {
			t.Errorf("ack reply %.200q is not one JSON argument", got)
		}
	}
	c.send(`42["echo","alive"]`)
	if got := c.read(); got != `42["echo","alive"]` {
		t.Fatalf("after the reply the connection does not work: %.200q", got)
	}
	_ = c.ws.Close()
	<-h.gone
}
