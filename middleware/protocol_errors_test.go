package middleware

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestProtocolErrorsCounted sends each kind of protocol-breaking input on a
// fresh server and checks the close code and that Stats.ProtocolErrors grew
// by exactly one per connection; closes that are not protocol errors leave
// it alone.
func TestProtocolErrorsCounted(t *testing.T) {
	const maxPayload = 4096
	kib := strings.Repeat("x", 1000) // five attachments within max_attachment_size exceed max_payload
	tests := []struct {
		name   string
		frames []hostileFrame
		close  int
		want   uint64
	}{
		{"1002: unknown Engine.IO packet type", []hostileFrame{text("9")}, websocket.CloseProtocolError, 1},
		{"1002: malformed EVENT", []hostileFrame{text(`42["echo",`)}, websocket.CloseProtocolError, 1},
		{"1002: binary frame without a header", []hostileFrame{bin("\x01")}, websocket.CloseProtocolError, 1},
		{"1007: text frame that is not UTF-8", []hostileFrame{text("42[\"echo\",\"\xff\"]")}, websocket.CloseInvalidFramePayloadData, 1},
		{"1009: attachment over max_attachment_size", []hostileFrame{
			text(`451-["echo",{"_placeholder":true,"num":0}]`), bin(strings.Repeat("x", 1025)),
		}, websocket.CloseMessageTooBig, 1},
		{"1009: binary packet over max_payload", []hostileFrame{
			text(`455-["echo",` + placeholders(5) + `]`),
			bin(kib), bin(kib), bin(kib), bin(kib), bin(kib),
		}, websocket.CloseMessageTooBig, 1},
		{"1009: frame over max_payload (read limit)", []hostileFrame{text(`42["echo","` + strings.Repeat("x", maxPayload) + `"]`)},
			websocket.CloseMessageTooBig, 1},
		{"two bad frames count once", []hostileFrame{text("9"), text("9")}, websocket.CloseProtocolError, 1},
		{"not counted: Engine.IO close from the client", []hostileFrame{text("1")}, websocket.CloseNormalClosure, 0},
		{"not counted: Socket.IO disconnect, then Engine.IO close", []hostileFrame{text("41"), text("1")}, websocket.CloseNormalClosure, 0},
		// Packets in an invalid state close the session, as socket.io does.
		{"1002: DISCONNECT of a namespace not connected", []hostileFrame{text("41/admin,")}, websocket.CloseProtocolError, 1},
		{"1002: DISCONNECT of an unknown namespace, without a comma", []hostileFrame{text("41/nowhere")}, websocket.CloseProtocolError, 1},
		{"1002: ACK for a namespace not connected", []hostileFrame{text(`43/admin,1[]`)}, websocket.CloseProtocolError, 1},
		{"1002: EVENT for a namespace not connected", []hostileFrame{text(`42/admin,["echo","x"]`)}, websocket.CloseProtocolError, 1},
		{"1002: a second CONNECT to a connected namespace", []hostileFrame{text("40")}, websocket.CloseProtocolError, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxPayload = maxPayload
			cfg.MaxAttachmentSize = 1024
			h := newHarness(t, cfg)
			c, _ := h.connect()
			c.t = t
			for i, f := range tc.frames {
				typ := websocket.TextMessage
				if f.binary {
					typ = websocket.BinaryMessage
				}
				// Frames after the first may race the server's close.
				if err := c.ws.WriteMessage(typ, []byte(f.data)); err != nil && i == 0 {
					t.Fatalf("send: %v", err)
				}
			}
			c.expectClose(tc.close)
			h.waitGone(t) // the count is taken before the session ends
			if got := h.srv.Stats().ProtocolErrors; got != tc.want {
				t.Errorf("ProtocolErrors = %d, want %d", got, tc.want)
			}
		})
	}
}

// placeholders returns n attachment placeholders, comma-separated.
func placeholders(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"_placeholder":true,"num":%d}`, i)
	}
	return strings.Join(out, ",")
}
