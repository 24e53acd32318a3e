package check

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"example.com/gentest/richevents"
	"github.com/eventwire/eventwire/middleware"
)

// TestOutboundMapsAndDateTimes emits values whose Go types encode to the
// right JSON types but break the schema in what only the values show: map
// keys that encode alike (a duplicate key the inbound check refuses) and
// date-times held in Go strings. Each is refused with its detail, and
// nothing refused reaches the client.
func TestOutboundMapsAndDateTimes(t *testing.T) {
	_, cl, conn := serveConnected(t)
	at := time.Date(2026, 12, 8, 10, 30, 0, 0, time.UTC)
	type status struct {
		Since string          `json:"since"`
		Extra json.RawMessage `json:"extra"`
		Log   []string        `json:"log,omitempty"`
	}
	for _, tc := range []struct {
		name string
		emit func() error
		want middleware.Detail
	}{
		{"flags keys that are not UTF-8", func() error {
			return conn.EmitAnnotate(richevents.Annotate{Labels: map[string]string{"a": "x"}, Flags: map[string]bool{"\xff": true, "\xfe": false}})
		}, middleware.Detail{Field: "flags", Rule: "type", Param: "map"}},
		{"a note's date-time in a string", func() error {
			return conn.Conn.Emit("note", "garbage")
		}, middleware.Detail{Field: "at", Rule: "format", Param: "date-time"}},
		{"a status's date-time in a string field", func() error {
			return conn.Conn.Emit("status", status{Since: "garbage", Extra: json.RawMessage(`0`)})
		}, middleware.Detail{Field: "since", Rule: "format", Param: "date-time"}},
		{"a status's log in strings", func() error {
			return conn.Conn.Emit("status", status{Since: at.Format(time.RFC3339), Extra: json.RawMessage(`0`), Log: []string{"2026-12-08", "x"}})
		}, middleware.Detail{Field: "log[0]", Rule: "format", Param: "date-time"}},
	} {
		err := tc.emit()
		var werr *middleware.Error
		if !errors.As(err, &werr) || werr.Code != "invalid_payload" || len(werr.Details) == 0 {
			t.Errorf("%s: %v, want invalid_payload", tc.name, err)
			continue
		}
		if d := werr.Details[0]; d.Field != tc.want.Field || d.Rule != tc.want.Rule || d.Param != tc.want.Param {
			t.Errorf("%s: details %+v, want first %+v", tc.name, werr.Details, tc.want)
		}
	}
	if err := conn.Conn.Emit("note", at.Format(time.RFC3339Nano)); err != nil {
		t.Errorf("a note's date-time in a valid string: %v", err)
	}
	if frame := cl.readUntil(t, `42["note"`); frame != `42["note","2026-12-08T10:30:00Z"]` {
		t.Errorf("note frame %s", frame)
	}
	if err := conn.EmitTick(); err != nil {
		t.Fatal(err)
	}
	cl.readUntil(t, `42["tick"`)
	for _, frame := range cl.seen {
		if strings.HasPrefix(frame, "42") {
			t.Errorf("a refused emit went out: %s", frame)
		}
	}
}

// TestOutboundMapReply has roster's handler reply with a map whose value
// breaks Tags' maxItems: the client gets internal, as for any reply that
// breaks the schema.
func TestOutboundMapReply(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	reply := cl.emitWithAck(t, 1, "roster", json.RawMessage(`{"ann":"online","crowd":"away"}`))
	if reply.Error == nil || reply.Error.Code != "internal" {
		t.Errorf("roster reply %s %+v, want internal", reply.Data, reply.Error)
	}
	reply = cl.emitWithAck(t, 2, "roster", json.RawMessage(`{"ann":"online"}`))
	var roster map[string][]string
	if err := json.Unmarshal(reply.Data, &roster); reply.Error != nil || err != nil ||
		!reflect.DeepEqual(roster, map[string][]string{"ann": {"online"}}) {
		t.Errorf("roster reply %s %+v", reply.Data, reply.Error)
	}
}

// TestNullAnyReply has status's handler reply with a nil json.RawMessage:
// an ack of any is required like every ack, so the client gets internal
// (the server logs why) rather than a null reply.
func TestNullAnyReply(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	reply := cl.emitWithAck(t, 1, "status", json.RawMessage(`{"since":"2026-12-08T10:30:00Z","extra":"no reply"}`))
	if reply.Error == nil || reply.Error.Code != "internal" || reply.Data != nil {
		t.Errorf("status reply %s %+v, want internal", reply.Data, reply.Error)
	}
	reply = cl.emitWithAck(t, 2, "status", json.RawMessage(`{"since":"2026-12-08T10:30:00Z","extra":"reply","meta":null}`))
	if reply.Error != nil || string(reply.Data) != `"absent"` {
		t.Errorf("status reply %s %+v, want \"absent\"", reply.Data, reply.Error)
	}
}
