package check

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"example.com/gentest/richevents"
	"github.com/eventwire/eventwire/middleware"
)

// Move sends the move back to the sender as it was received, through the
// typed emitter (nil label: null on the wire).
func (*handler) Move(ctx context.Context, c *richevents.Conn, x int64, y int64, label *string) error {
	return c.EmitMove(x, y, label)
}

// Draw replies with the number of tags, or refuses the "box" type with the
// app's own code.
func (*handler) Draw(ctx context.Context, c *richevents.Conn, author richevents.Profile, style richevents.DrawStyle,
	tags richevents.Tags, typ *richevents.DrawType) (int64, error) {
	if typ != nil && *typ == richevents.DrawTypeBox && author.Name == "bob" {
		return 0, middleware.NewError("no_boxes", "bob may not draw boxes")
	}
	return int64(len(tags)), nil
}

func TestSeveralArguments(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	raw := func(s ...string) []json.RawMessage {
		out := make([]json.RawMessage, len(s))
		for i, v := range s {
			out[i] = json.RawMessage(v)
		}
		return out
	}
	tests := []struct {
		name, event string
		args        []json.RawMessage
		data, code  string
		echo        string // the move frame the handler sends back
	}{
		{"all", "move", raw("1", "2", `"rook"`), "null", "", `42["move",1,2,"rook"]`},
		{"optional left out", "move", raw("3", "4"), "null", "", `42["move",3,4,null]`},
		{"missing", "move", raw("1"), "", "invalid_payload", ""},
		{"extra", "move", raw("1", "2", `"a"`, "4"), "", "invalid_payload", ""},
		{"invalid", "move", raw("1", "200"), "", "invalid_payload", ""},
		{"ack reply", "draw", raw(`{"name":"alice"}`, `{"color":"#000000"}`, `["a","b"]`), "2", "", ""},
		{"handler code", "draw", raw(`{"name":"bob"}`, `{"color":"#000000"}`, "null", `"box"`), "", "no_boxes", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := cl.emitArgs(t, 500+i, tt.event, tt.args...)
			switch {
			case tt.code != "" && (reply.Error == nil || reply.Error.Code != tt.code):
				t.Fatalf("reply %+v, want error code %s", reply.Error, tt.code)
			case tt.code == "" && (reply.Error != nil || string(reply.Data) != tt.data):
				t.Fatalf("reply %+v (data %s), want data %s", reply.Error, reply.Data, tt.data)
			}
			if tt.echo != "" {
				if frame := cl.readUntil(t, `42["move"`); frame != tt.echo {
					t.Errorf("echo %s, want %s", frame, tt.echo)
				}
				cl.seen = nil
			}
		})
	}
	t.Run("details name the argument", func(t *testing.T) {
		reply := cl.emitArgs(t, 600, "move", raw("1")...)
		if reply.Error == nil || len(reply.Error.Details) != 1 || reply.Error.Details[0].Field != "y" ||
			reply.Error.Details[0].Rule != "required" {
			t.Errorf("reply %+v, want one required detail for y", reply.Error)
		}
	})
}

func TestEmitSeveralArguments(t *testing.T) {
	s, cl, conn := serveConnected(t)
	if err := s.srv.Broadcast().EmitMove(5, 6, nil); err != nil {
		t.Fatal(err)
	}
	if frame := cl.readUntil(t, `42["move"`); frame != `42["move",5,6,null]` {
		t.Errorf("broadcast move %s", frame)
	}
	label := "x"
	if err := conn.EmitMove(7, 8, &label); err != nil {
		t.Fatal(err)
	}
	if frame := cl.readUntil(t, `42["move",7`); frame != `42["move",7,8,"x"]` {
		t.Errorf("move %s", frame)
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		n, err := conn.EmitSurvey(ctx, "tea?", []string{"yes", "no"})
		if err == nil && n != 1 {
			err = middleware.NewError("wrong_reply", "want 1")
		}
		done <- err
	}()
	frame := cl.readUntil(t, `42`)
	if !strings.HasSuffix(frame, `["survey","tea?",["yes","no"]]`) {
		t.Fatalf("survey frame %s", frame)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(frame, "42"), `["survey","tea?",["yes","no"]]`)
	cl.write(t, "43"+id+`[{"data":1}]`)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
