package check

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

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
