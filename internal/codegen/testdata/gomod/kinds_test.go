package check

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"example.com/gentest/richevents"
	"github.com/eventwire/eventwire/middleware"
)

// TestAnyAndDateTimeInbound sends status and stamp: every JSON value of an
// any field reaches the handler unchanged (it echoes meta in its reply), a
// null or absent meta is a nil json.RawMessage, and a date-time decodes into
// a time.Time.
func TestAnyAndDateTimeInbound(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	for i, tc := range []struct{ name, meta, want string }{
		{"object", `,"meta":{"a":[1,null,{"b":"c"}]}`, `{"a":[1,null,{"b":"c"}]}`},
		{"array", `,"meta":[1,"x",true,null]`, `[1,"x",true,null]`},
		{"string", `,"meta":"hello"`, `"hello"`},
		{"number", `,"meta":-1.5e3`, `-1.5e3`},
		{"boolean", `,"meta":false`, `false`},
		{"null", `,"meta":null`, `"absent"`},
		{"absent", ``, `"absent"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := `{"since":"2026-12-08T10:30:00.25+01:00","extra":0` + tc.meta + `}`
			reply := cl.emitWithAck(t, i, "status", json.RawMessage(payload))
			if reply.Error != nil || string(reply.Data) != tc.want {
				t.Errorf("reply %s %+v, want data %s", reply.Data, reply.Error, tc.want)
			}
		})
	}
	for i, v := range []string{`{"a":[1,null]}`, `[null,{}]`, `"s"`, `-0.5`, `true`} {
		if reply := cl.emitWithAck(t, 200+i, "relay", json.RawMessage(v)); reply.Error != nil {
			t.Fatalf("relay %s: %+v", v, reply.Error)
		}
		if frame := cl.readUntil(t, `42["relay"`); frame != `42["relay",`+v+`]` {
			t.Errorf("relay %s came back as %s", v, frame)
		}
	}
	reply := cl.emitWithAck(t, 100, "stamp", json.RawMessage(`"2026-12-08T10:30:00.25+01:00"`))
	if reply.Error != nil || string(reply.Data) != `"2026-12-08T09:30:00.25Z"` {
		t.Errorf("stamp reply %s %+v, want the time in UTC", reply.Data, reply.Error)
	}
}

// TestAnyAndDateTimeOutbound emits note and status from Go: a time.Time
// goes out as RFC 3339 and passes the outbound check, a json.RawMessage
// unchanged, and a required any left nil (null) is refused before sending.
func TestAnyAndDateTimeOutbound(t *testing.T) {
	_, cl, conn := serveConnected(t)
	at := time.Date(2026, 12, 8, 10, 30, 0, 250_000_000, time.FixedZone("", 3600))
	if err := conn.EmitNote(at, json.RawMessage(`{"k":[1]}`)); err != nil {
		t.Fatal(err)
	}
	if frame := cl.readUntil(t, `42["note"`); frame != `42["note","2026-12-08T10:30:00.25+01:00",{"k":[1]}]` {
		t.Errorf("note frame %s", frame)
	}
	_, err := conn.EmitStatus(context.Background(), richevents.Status{Since: at})
	var werr *middleware.Error
	if !errors.As(err, &werr) || werr.Code != "invalid_payload" || len(werr.Details) != 1 || werr.Details[0].Field != "extra" || werr.Details[0].Rule != "required" {
		t.Errorf("EmitStatus with a nil required any: %v, want invalid_payload required extra", err)
	}
	done := make(chan json.RawMessage, 1)
	go func() {
		v, err := conn.EmitStatus(context.Background(), richevents.Status{Since: at, Extra: json.RawMessage(`"x"`), Log: []time.Time{at.UTC()}})
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	frame := cl.readUntil(t, "42")
	want := `["status",{"since":"2026-12-08T10:30:00.25+01:00","extra":"x","log":["2026-12-08T09:30:00.25Z"]}]`
	id := frame[2 : len(frame)-len(want)]
	if _, err := strconv.Atoi(id); err != nil || frame[2+len(id):] != want {
		t.Fatalf("status frame %s, want 42<id>%s", frame, want)
	}
	cl.write(t, "43"+id+`[{"data":[null,{"any":true}]}]`)
	if got := <-done; string(got) != `[null,{"any":true}]` {
		t.Errorf("EmitStatus reply %s", got)
	}
}
