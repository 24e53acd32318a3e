package check

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/gentest/richevents"
	"github.com/eventwire/eventwire/middleware"
)

// Upload echoes the bytes it received, in hex, as an error the test reads
// from the ack when the name is "echo".
func (*handler) Upload(ctx context.Context, c *richevents.Conn, m richevents.Upload) error {
	if m.Name == "echo" {
		return middleware.NewError("received", hex.EncodeToString(m.Data))
	}
	return nil
}

// Mirror replies with the bytes it received.
func (*handler) Mirror(ctx context.Context, c *richevents.Conn, m []byte) ([]byte, error) {
	return m, nil
}

// TestBytesFromBinaryAttachments sends upload as the JS client does: a
// BINARY_EVENT (45) whose data is a placeholder, then the bytes in a binary
// frame.
func TestBytesFromBinaryAttachments(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	upload := func(id, name string, data []byte) ackReply {
		t.Helper()
		cl.write(t, `451-`+id+`["upload",{"name":"`+name+`","data":{"_placeholder":true,"num":0}}]`)
		if err := cl.ws.WriteMessage(websocket.BinaryMessage, data); err != nil {
			t.Fatal(err)
		}
		return cl.ackOf(t, id)
	}
	if reply := upload("1", "echo", []byte{0, 1, 0xff}); reply.Error == nil || reply.Error.Code != "received" || reply.Error.Message != "0001ff" {
		t.Errorf("echo: reply %+v, want error received 0001ff", reply)
	}
	if reply := upload("2", "a.bin", []byte("12345678")); reply.Error != nil {
		t.Errorf("8 bytes: %+v", reply.Error)
	}
	reply := upload("3", "a.bin", []byte("123456789"))
	want := middleware.Detail{Field: "data", Rule: "maxBytes", Param: "8", Message: "data must be at most 8 bytes"}
	if reply.Error == nil || reply.Error.Code != "invalid_payload" || len(reply.Error.Details) != 1 || reply.Error.Details[0] != want {
		t.Errorf("9 bytes: reply %+v, want invalid_payload with %+v", reply, want)
	}
	// A JSON value that is not base64 text is not bytes.
	if reply := cl.emitWithAck(t, 4, "upload", []byte(`{"name":"a","data":[1,2]}`)); reply.Error == nil ||
		len(reply.Error.Details) != 1 || reply.Error.Details[0].Rule != "type" || reply.Error.Details[0].Param != "bytes" {
		t.Errorf("array for bytes: reply %+v, want a type detail with param bytes", reply)
	}
}

// ackOf reads the ack with id id.
func (c *client) ackOf(t *testing.T, id string) ackReply {
	t.Helper()
	prefix := "43" + id + "["
	frame := c.readUntil(t, prefix)
	var replies []ackReply
	if err := json.Unmarshal([]byte(frame[len(prefix)-1:]), &replies); err != nil || len(replies) != 1 {
		t.Fatalf("ack %s: %v", frame, err)
	}
	return replies[0]
}

// readBinary reads the n attachments that follow a binary packet's header.
func (c *client) readBinary(t *testing.T, n int) []string {
	t.Helper()
	var atts []string
	for range n {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil || typ != websocket.BinaryMessage {
			t.Fatalf("attachment: frame type %d, %v", typ, err)
		}
		atts = append(atts, string(msg))
	}
	return atts
}

// TestBytesToClient checks the typed emitters and ack replies the server
// sends with bytes: download's payload and array items go out as
// attachments of a BINARY_EVENT and the client's BINARY_ACK comes back as
// the typed reply; mirror's reply is a BINARY_ACK.
func TestBytesToClient(t *testing.T) {
	_, cl, conn := serveConnected(t)

	type result struct {
		v   richevents.DownloadAck
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		v, err := conn.EmitDownload(ctx, richevents.Download{Name: "f", Data: []byte{0, 0xff}, Parts: [][]byte{[]byte("ab")}})
		done <- result{v, err}
	}()
	want := `452-0["download",{"name":"f","data":{"_placeholder":true,"num":0},"parts":[{"_placeholder":true,"num":1}]}]`
	if frame := cl.readUntil(t, "45"); frame != want {
		t.Fatalf("got %s\nwant %s", frame, want)
	}
	if atts := cl.readBinary(t, 2); atts[0] != "\x00\xff" || atts[1] != "ab" {
		t.Fatalf("attachments %q", atts)
	}
	cl.write(t, `461-0[{"data":{"head":{"_placeholder":true,"num":0}}}]`)
	if err := cl.ws.WriteMessage(websocket.BinaryMessage, []byte{0}); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || string(r.v.Head) != "\x00" {
		t.Fatalf("EmitDownload = %+v, %v", r.v, r.err)
	}

	cl.write(t, `451-5["mirror",{"_placeholder":true,"num":0}]`)
	if err := cl.ws.WriteMessage(websocket.BinaryMessage, []byte("hey")); err != nil {
		t.Fatal(err)
	}
	if frame := cl.readUntil(t, "46"); frame != `461-5[{"data":{"_placeholder":true,"num":0}}]` {
		t.Fatalf("mirror reply %s", frame)
	}
	if atts := cl.readBinary(t, 1); atts[0] != "hey" {
		t.Fatalf("mirror attachment %q", atts)
	}
}
