package middleware

import (
	"context"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// sendBinary sends the text header of a 45/46 packet, then its attachments
// as binary frames.
func (c *client) sendBinary(header string, atts ...string) {
	c.t.Helper()
	c.send(header)
	for _, a := range atts {
		if err := c.ws.WriteMessage(websocket.BinaryMessage, []byte(a)); err != nil {
			c.t.Fatalf("send attachment: %v", err)
		}
	}
}

func TestBinaryEventInbound(t *testing.T) {
	tests := []struct {
		name   string
		header string
		atts   []string
		want   string // the echo the server sends back
	}{
		{"one attachment", `451-["echo",{"_placeholder":true,"num":0}]`, []string{"abc"}, `42["echo","YWJj"]`},
		{"checked after substitution", `451-["echo",{"_placeholder":true,"num":0}]`, []string{""},
			`42["eventwire:error",{"event":"echo","code":"invalid_payload","message":"invalid payload","details":[{"field":"","rule":"minLength","param":"1","message":"payload must be at least 1 characters"}]}]`},
		{"no attachment", `450-["echo","hi"]`, nil, `42["echo","hi"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			c, _ := h.connect()
			c.sendBinary(tc.header, tc.atts...)
			if got := c.read(); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
			// The next text frame is an ordinary packet again.
			c.send(`42["echo","ok"]`)
			if got := c.read(); got != `42["echo","ok"]` {
				t.Fatalf("got %s after the binary packet", got)
			}
		})
	}
}

func TestBinaryAckInbound(t *testing.T) {
	h := newHarness(t, testConfig())
	c, conn := h.connect()
	done := emitAsync[askAck](context.Background(), conn, "ask", "q")
	if got := c.read(); got != `420["ask","q"]` {
		t.Fatalf("frame %s", got)
	}
	c.sendBinary(`461-0[{"data":{"answer":3,"note":{"_placeholder":true,"num":0}}}]`, "hi")
	r := waitAck(t, done)
	if r.err != nil || r.v.Answer != 3 || r.v.Note == nil || *r.v.Note != "aGk=" {
		t.Fatalf("got %+v, %v", r.v, r.err)
	}
}

func TestBinaryPacketErrors(t *testing.T) {
	placeholder := `{"_placeholder":true,"num":0}`
	tests := []struct {
		name   string
		header string
		frames []string // "t:" text, else binary
		code   int
		reason string
	}{
		{"text before attachments", `452-["echo",` + placeholder + `,{"_placeholder":true,"num":1}]`, []string{"a", `t:42["echo","x"]`}, websocket.CloseProtocolError, "parse error"},
		{"too many attachments", `411-["echo"]`, nil, websocket.CloseProtocolError, "parse error"},
		{"attachment too big", `451-["echo",` + placeholder + `]`, []string{strings.Repeat("x", 65)}, websocket.CloseMessageTooBig, "parse error"},
		{"attachments over max_payload", `453-["echo",` + placeholder + `,{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]`,
			[]string{strings.Repeat("x", 64), strings.Repeat("x", 64), strings.Repeat("x", 64)}, websocket.CloseMessageTooBig, "parse error"},
		{"num out of range", `451-["echo",{"_placeholder":true,"num":1}]`, []string{"a"}, websocket.CloseProtocolError, "parse error"},
		{"attachment unused", `452-["echo",` + placeholder + `]`, []string{"a", "b"}, websocket.CloseProtocolError, "parse error"},
		{"binary frame after packet", `451-["act",` + placeholder + `]`, []string{"a", "b"}, websocket.CloseProtocolError, "parse error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxPayload = 256
			cfg.MaxAttachmentSize = 64
			h := newHarness(t, cfg)
			c, _ := h.connect()
			c.send(tc.header)
			for _, f := range tc.frames {
				typ, msg := websocket.BinaryMessage, f
				if text, ok := strings.CutPrefix(f, "t:"); ok {
					typ, msg = websocket.TextMessage, text
				}
				if err := c.ws.WriteMessage(typ, []byte(msg)); err != nil {
					t.Fatal(err)
				}
			}
			c.expectClose(tc.code)
			if d := h.waitGone(t); d.reason != tc.reason {
				t.Errorf("reason %q, want %q", d.reason, tc.reason)
			}
		})
	}
}
