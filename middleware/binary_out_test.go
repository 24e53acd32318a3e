package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/internal/protocol"
)

// binFile is the payload of the binary test schema's "file" event.
type binFile struct {
	Name  string   `json:"name"`
	Data  []byte   `json:"data"`
	Parts [][]byte `json:"parts,omitempty"`
}

type binPull struct {
	Head []byte `json:"head,omitempty"`
}

func binarySchema() Schema {
	bin := &Shape{Kind: KindBytes}
	file := object(
		FieldShape{Name: "name", Required: true, Shape: str()},
		FieldShape{Name: "data", Required: true, Shape: bin},
		FieldShape{Name: "parts", Shape: arrayOf(bin)},
	)
	return Schema{Events: []Event{
		{Name: "file", ClientSends: true, ServerSends: true, Payload: file, Ack: bin},
		{Name: "chunk", ServerSends: true, Args: []FieldShape{
			{Name: "id", Required: true, Shape: str()}, {Name: "data", Shape: bin}}},
		{Name: "pull", ServerSends: true, Payload: file, Ack: object(FieldShape{Name: "head", Shape: bin})},
		{Name: "note", ServerSends: true, Payload: str()},
	}}
}

// readPacket reads a text frame and, for a 45/46 header, the binary frames
// it announces.
func (c *client) readPacket() (string, [][]byte) {
	c.t.Helper()
	text := c.read()
	p, err := protocol.Decode([]byte(text[1:]))
	if err != nil {
		c.t.Fatalf("decode %q: %v", text, err)
	}
	var atts [][]byte
	for range p.Attachments {
		_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, msg, err := c.ws.ReadMessage()
		if err != nil || typ != websocket.BinaryMessage {
			c.t.Fatalf("attachment of %q: type %d, %v", text, typ, err)
		}
		atts = append(atts, msg)
	}
	return text, atts
}

func TestEmitBinary(t *testing.T) {
	tests := []struct {
		name  string
		event string
		args  []any
		want  string
		atts  []string
		// unchecked emits with Config.ValidateOutbound off: the encoding of
		// values the schema forbids (a null item, an unknown key).
		unchecked bool
	}{
		{"one bytes field", "file", []any{binFile{Name: "a", Data: []byte{0, 1, 0xff}}},
			`451-["file",{"name":"a","data":{"_placeholder":true,"num":0}}]`, []string{"\x00\x01\xff"}, false},
		{"array items, in order", "file", []any{binFile{Name: "a", Data: []byte("d"), Parts: [][]byte{[]byte("p0"), nil, []byte("p2")}}},
			`453-["file",{"name":"a","data":{"_placeholder":true,"num":0},"parts":[{"_placeholder":true,"num":1},null,{"_placeholder":true,"num":2}]}]`,
			[]string{"d", "p0", "p2"}, true},
		{"empty bytes is an empty attachment", "file", []any{binFile{Name: "a", Data: []byte{}}},
			`451-["file",{"name":"a","data":{"_placeholder":true,"num":0}}]`, []string{""}, false},
		{"args", "chunk", []any{"c1", []byte("xyz")}, `451-["chunk","c1",{"_placeholder":true,"num":0}]`, []string{"xyz"}, false},
		{"nil bytes stays null: a plain event", "chunk", []any{"c1", []byte(nil)}, `42["chunk","c1",null]`, nil, false},
		{"an untyped value with base64 text", "file", []any{map[string]any{"name": "m", "data": "aGk="}},
			`451-["file",{"data":{"_placeholder":true,"num":0},"name":"m"}]`, []string{"hi"}, false},
		{"unknown keys are copied", "file", []any{map[string]any{"data": "", "x": "<b>"}},
			`451-["file",{"data":{"_placeholder":true,"num":0},"x":"<b>"}]`, []string{""}, true},
		{"events without bytes are untouched", "note", []any{"hi"}, `42["note","hi"]`, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ValidateOutbound = !tc.unchecked
			h := newSchemaHarness(t, binarySchema(), cfg)
			c, conn := h.connect()
			if err := conn.Emit(tc.event, tc.args...); err != nil {
				t.Fatal(err)
			}
			text, atts := c.readPacket()
			if text != tc.want {
				t.Errorf("frame %s\nwant  %s", text, tc.want)
			}
			if len(atts) != len(tc.atts) {
				t.Fatalf("%d attachments, want %d", len(atts), len(tc.atts))
			}
			for i := range atts {
				if string(atts[i]) != tc.atts[i] {
					t.Errorf("attachment %d = %q, want %q", i, atts[i], tc.atts[i])
				}
			}
		})
	}
}

// TestEmitBinaryRefusesWhatIsNotBytes emits values whose bytes are not
// bytes: outbound validation refuses them with invalid_payload and the
// field, and without it the attachment step still refuses them.
func TestEmitBinaryRefusesWhatIsNotBytes(t *testing.T) {
	for _, validate := range []bool{true, false} {
		cfg := testConfig()
		cfg.ValidateOutbound = validate
		h := newSchemaHarness(t, binarySchema(), cfg)
		c, conn := h.connect()
		for _, tc := range []struct {
			v     any
			field string
		}{
			{map[string]any{"name": "a", "data": "not base64!"}, "data"},
			{map[string]any{"name": "a", "data": 12}, "data"},
			{map[string]any{"name": "a", "data": "aGk=", "parts": "x"}, "parts"},
		} {
			err := conn.Emit("file", tc.v)
			var we *Error
			switch {
			case validate && (!errors.As(err, &we) || we.Code != "invalid_payload" || len(we.Details) != 1 ||
				we.Details[0].Field != tc.field || we.Details[0].Rule != "type"):
				t.Errorf("Emit(%v) = %v, want invalid_payload with a type detail on %s", tc.v, err, tc.field)
			case !validate && (err == nil || !strings.HasPrefix(err.Error(), `eventwire: emit "file": `)):
				t.Errorf("unchecked Emit(%v) = %v, want an error naming the event", tc.v, err)
			}
			if err := h.srv.Broadcast().Emit("file", tc.v); err == nil {
				t.Errorf("Broadcast().Emit(%v) = nil", tc.v)
			}
		}
		// Nothing half-built went out: the next frame is the next good emit.
		_ = conn.Emit("note", "next")
		if text, _ := c.readPacket(); text != `42["note","next"]` {
			t.Errorf("got %s", text)
		}
	}
}

// TestBinaryGroupsStayWhole emits binary and text packets from several
// goroutines at once: every client must see each header followed directly by
// its attachments, nothing in between.
func TestBinaryGroupsStayWhole(t *testing.T) {
	cfg := testConfig()
	cfg.OutboundBuffer = 2048 // room for every frame: this test is about order, not drops
	h := newSchemaHarness(t, binarySchema(), cfg)
	const clients, writers, each = 3, 4, 50
	cs := make([]*client, clients)
	for i := range cs {
		cs[i], _ = h.connect()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tag := []byte(fmt.Sprintf("w%d-%d", w, i))
				_ = h.srv.Broadcast().Emit("file", binFile{Name: string(tag), Data: tag, Parts: [][]byte{tag, tag}})
				_ = h.srv.Broadcast().Emit("note", string(tag))
			}
		}()
	}
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range writers * each * 2 {
				if err := checkGroup(c); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// checkGroup reads one packet and checks that a file packet's attachments
// all hold its name.
func checkGroup(c *client) error {
	text, atts := c.readPacket()
	if strings.HasPrefix(text, `42["note"`) {
		return nil
	}
	var args []json.RawMessage
	_ = json.Unmarshal([]byte(text[strings.Index(text, "["):]), &args)
	var f struct{ Name string }
	if len(args) != 2 || json.Unmarshal(args[1], &f) != nil || len(atts) != 3 {
		return fmt.Errorf("packet %s with %d attachments", text, len(atts))
	}
	for _, a := range atts {
		if string(a) != f.Name {
			return fmt.Errorf("packet %s carries attachment %q", text, a)
		}
	}
	return nil
}

func TestBinaryAckReply(t *testing.T) {
	h := newSchemaHarness(t, binarySchema(), testConfig())
	err := HandleAck(h.srv, "file", func(ctx context.Context, c *Conn, f binFile) ([]byte, error) {
		return append([]byte("got "), f.Data...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := h.connect()
	c.sendBinary(`451-7["file",{"name":"a","data":{"_placeholder":true,"num":0}}]`, "\x00\x01")
	text, atts := c.readPacket()
	if text != `461-7[{"data":{"_placeholder":true,"num":0}}]` || len(atts) != 1 || string(atts[0]) != "got \x00\x01" {
		t.Fatalf("reply %s %q", text, atts)
	}
	// The same event without bytes in its data (a text upload as base64).
	c.send(`428["file",{"name":"a","data":"aGk="}]`)
	if text, atts := c.readPacket(); text != `461-8[{"data":{"_placeholder":true,"num":0}}]` || string(atts[0]) != "got hi" {
		t.Fatalf("reply %s %q", text, atts)
	}
}

func TestEmitWithAckBinaryBothWays(t *testing.T) {
	h := newSchemaHarness(t, binarySchema(), testConfig())
	c, conn := h.connect()
	done := emitAsync[binPull](context.Background(), conn, "pull", binFile{Name: "n", Data: []byte("abc")})
	text, atts := c.readPacket()
	if text != `451-0["pull",{"name":"n","data":{"_placeholder":true,"num":0}}]` || len(atts) != 1 || string(atts[0]) != "abc" {
		t.Fatalf("sent %s %q", text, atts)
	}
	c.sendBinary(`461-0[{"data":{"head":{"_placeholder":true,"num":0}}}]`, "ab")
	r := waitAck(t, done)
	if r.err != nil || !bytes.Equal(r.v.Head, []byte("ab")) {
		t.Fatalf("got %+v, %v", r.v, r.err)
	}
}

// TestPartlyDroppedBinaryPacketCloses fills a connection's outbound buffer
// with binary packets: once one of them loses some of its frames, the
// connection is closed (the client could not tell where packets end), with
// 1013 when the close frame gets out.
func TestPartlyDroppedBinaryPacketCloses(t *testing.T) {
	cfg := testConfig()
	cfg.OutboundBuffer = 4
	cfg.WriteTimeout = 500 * time.Millisecond
	h := newSchemaHarness(t, binarySchema(), cfg)
	_, conn := h.connect() // the client never reads again
	big := bytes.Repeat([]byte("x"), 64<<10)
	f := binFile{Name: "big", Data: big, Parts: [][]byte{big, big}}
	closed := false
	for range 2000 {
		if conn.Emit("file", f) == ErrClosed {
			closed = true
			break
		}
	}
	if !closed {
		t.Fatal("the connection stayed open after frames of binary packets were dropped")
	}
	if d := h.waitGone(t); d.id != conn.ID() {
		t.Fatalf("OnDisconnect for %s", d.id)
	}
}
