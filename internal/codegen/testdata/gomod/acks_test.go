package check

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/gentest/richevents"
	"github.com/eventwire/eventwire/middleware"
)

// connectError is the data of a CONNECT_ERROR packet.
type connectError struct {
	Message string `json:"message"`
	Data    struct {
		Code    string              `json:"code"`
		Details []middleware.Detail `json:"details"`
	} `json:"data"`
}

func TestAuthorize(t *testing.T) {
	s := serve(t)
	tests := []struct {
		name, auth    string
		message, code string
		details       []middleware.Detail
	}{
		{"absent is checked as {}", "", "invalid auth", "invalid_payload",
			[]middleware.Detail{{Field: "token", Rule: "required", Message: "token is required"}}},
		{"invalid", `{"token":"short","extra":1}`, "invalid auth", "invalid_payload", []middleware.Detail{
			{Field: "extra", Rule: "unknown", Message: "extra is not a known field"}}},
		{"rule", `{"token":"short"}`, "invalid auth", "invalid_payload", []middleware.Detail{
			{Field: "token", Rule: "minLength", Param: "8", Message: "token must be at least 8 characters"}}},
		{"refused with the app's code", `{"token":"expired-token"}`, "the token has expired", "unauthorized", nil},
		{"refused with a plain error", `{"token":"exploding-token"}`, "internal error", "internal", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, s.url)
			c.write(t, "40"+tt.auth)
			frame := c.readUntil(t, "44")
			var got connectError
			if err := json.Unmarshal([]byte(frame[2:]), &got); err != nil {
				t.Fatalf("%s: %v", frame, err)
			}
			if got.Message != tt.message || got.Data.Code != tt.code || !reflect.DeepEqual(got.Data.Details, tt.details) {
				t.Errorf("got %s, want message %q code %q details %+v", frame, tt.message, tt.code, tt.details)
			}
			c.expectClose(t, websocket.ClosePolicyViolation)
		})
	}
	t.Run("accepted", func(t *testing.T) {
		c := connect(t, s.url, `{"token":"secret-token","name":"alice"}`)
		if reply := c.emitWithAck(t, 0, "whoami", nil); string(reply.Data) != `{"name":"alice"}` {
			t.Errorf("whoami: %+v (data %s), want the name from the auth payload", reply.Error, reply.Data)
		}
	})
}

// TestAuthRulesWithoutAuthorize: NewServer checks the auth schema's rules
// itself, so a server whose application never calls Authorize still refuses
// a payload that breaks them.
func TestAuthRulesWithoutAuthorize(t *testing.T) {
	srv, err := richevents.NewServer(&handler{name: middleware.NewKey[richevents.Username]("name")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	c := dial(t, url)
	c.write(t, `40{"token":"short"}`)
	var got connectError
	if frame := c.readUntil(t, "44"); json.Unmarshal([]byte(frame[2:]), &got) != nil ||
		got.Data.Code != "invalid_payload" || len(got.Data.Details) != 1 || got.Data.Details[0].Rule != "minLength" {
		t.Fatalf("CONNECT_ERROR %s, want invalid_payload for the token's minLength", frame)
	}
	connect(t, url, `{"token":"secret-token","name":"alice"}`)
}

func TestClientToServerAcks(t *testing.T) {
	s := serve(t)
	alice := connect(t, s.url, `{"token":"secret-token","name":"alice"}`)
	bob := connect(t, s.url, `{"token":"secret-token","name":"bob"}`)
	tests := []struct {
		name, event string
		cl          *client
		payload     string
		data, code  string
	}{
		{"object ack", "join", alice, `{"room":"lobby"}`, `{"room":"lobby","members":["alice"]}`, ""},
		{"members in join order", "join", bob, `{"room":"lobby"}`, `{"room":"lobby","members":["alice","bob"]}`, ""},
		{"handler error", "join", alice, `{"room":"secret"}`, "", "not_member"},
		{"invalid payload", "join", alice, `{"room":"Lobby!"}`, "", "invalid_payload"},
		{"named type ack without payload", "whoami", bob, "", `{"name":"bob"}`, ""},
		{"scalar ack", "sum", alice, `[1,2,3]`, `6`, ""},
		{"both directions", "echo", bob, `"hi"`, `"echo:hi"`, ""},
		{"no ack type", "chat", alice, `{"from":"alice","text":"hi"}`, `null`, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var payload json.RawMessage
			if tt.payload != "" {
				payload = json.RawMessage(tt.payload)
			}
			reply := tt.cl.emitWithAck(t, 100+i, tt.event, payload)
			switch {
			case tt.code != "" && (reply.Error == nil || reply.Error.Code != tt.code):
				t.Errorf("reply %+v, want error code %s", reply.Error, tt.code)
			case tt.code == "" && (reply.Error != nil || string(reply.Data) != tt.data):
				t.Errorf("reply data %s error %+v, want data %s", reply.Data, reply.Error, tt.data)
			}
		})
	}
	if got := s.srv.Rooms(); !reflect.DeepEqual(got, []string{"lobby"}) {
		t.Errorf("Rooms() = %v, want [lobby]", got)
	}
}

// TestServerToClientAcks plays the client's side of the typed emitters that
// wait for an ack: the reply, its errors, a timeout and an emitter without
// payload. The server's ack ids count up from 0 on each connection.
func TestServerToClientAcks(t *testing.T) {
	_, cl, conn := serveConnected(t)

	type result struct {
		v   richevents.ConfirmAck
		err error
	}
	confirm := func(ctx context.Context) <-chan result {
		out := make(chan result, 1)
		go func() {
			v, err := conn.EmitConfirm(ctx, richevents.Confirm{Question: "ok?"})
			out <- result{v, err}
		}()
		return out
	}
	tests := []struct {
		name, reply string
		want        richevents.ConfirmAck
		code        string
		details     []middleware.Detail
	}{
		{"data", `{"data":{"answer":true,"note":"sure"}}`, richevents.ConfirmAck{Answer: true, Note: ptr("sure")}, "", nil},
		{"error reply", `{"error":{"code":"busy","message":"later"}}`, richevents.ConfirmAck{}, "busy", nil},
		{"invalid reply", `{"data":{"answer":"yes"}}`, richevents.ConfirmAck{}, "invalid_payload", []middleware.Detail{
			{Field: "answer", Rule: "type", Param: "boolean", Message: "answer must be of type boolean"}}},
		{"reply breaking a rule", `{"data":{"answer":false,"note":"far too long a note for twenty"}}`, richevents.ConfirmAck{},
			"invalid_payload", []middleware.Detail{{Field: "note", Rule: "maxLength", Param: "20", Message: "note must be at most 20 characters"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			done := confirm(ctx)
			id := strconv.Itoa(i)
			if frame := cl.readUntil(t, "42"+id+"["); frame != "42"+id+`["confirm",{"question":"ok?"}]` {
				t.Fatalf("got %s", frame)
			}
			cl.write(t, "43"+id+"["+tt.reply+"]")
			r := <-done
			var werr *middleware.Error
			switch {
			case tt.code == "" && (r.err != nil || !reflect.DeepEqual(r.v, tt.want)):
				t.Errorf("EmitConfirm = %+v, %v; want %+v", r.v, r.err, tt.want)
			case tt.code != "" && (!errors.As(r.err, &werr) || werr.Code != tt.code || !reflect.DeepEqual(werr.Details, tt.details)):
				t.Errorf("EmitConfirm error %#v, want code %s details %+v", r.err, tt.code, tt.details)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		r := <-confirm(ctx)
		if !errors.Is(r.err, middleware.ErrAckTimeout) {
			t.Errorf("EmitConfirm without a reply: %v, want ErrAckTimeout", r.err)
		}
		cl.readUntil(t, "42"+strconv.Itoa(len(tests))+"[")
	})
	t.Run("no payload, array reply", func(t *testing.T) {
		done := make(chan []richevents.Username, 1)
		go func() {
			v, err := conn.EmitPoll(context.Background())
			if err != nil {
				t.Error(err)
			}
			done <- v
		}()
		id := strconv.Itoa(len(tests) + 1)
		if frame := cl.readUntil(t, "42"+id+"["); frame != "42"+id+`["poll"]` {
			t.Fatalf("got %s", frame)
		}
		cl.write(t, "43"+id+`[{"data":["alice","bob"]}]`)
		if got := <-done; !reflect.DeepEqual(got, []richevents.Username{"alice", "bob"}) {
			t.Errorf("EmitPoll = %v", got)
		}
	})
}

// TestOperatorsAndEventMiddleware checks the typed operators reach the
// rooms' members, and that Use can refuse an event and OnAny sees the rest.
func TestOperatorsAndEventMiddleware(t *testing.T) {
	s := serve(t)
	seen := make(chan string, 16)
	s.srv.OnAny(func(ctx context.Context, c *richevents.Conn, ev middleware.InboundEvent) {
		seen <- ev.Name + " " + strconv.FormatBool(ev.HasAck)
	})
	s.srv.Use(func(next middleware.EventHandler) middleware.EventHandler {
		return func(ctx context.Context, c *middleware.Conn, ev middleware.InboundEvent) error {
			if ev.Name == "rename" {
				return middleware.NewError("forbidden", "names are fixed")
			}
			return next(ctx, c, ev)
		}
	})
	names := []string{"ann", "ben", "cat"}
	clients := map[string]*client{}
	for _, n := range names {
		clients[n] = connect(t, s.url, `{"token":"secret-token","name":"`+n+`"}`)
	}
	join := func(n, room string, id int) {
		if reply := clients[n].emitWithAck(t, id, "join", json.RawMessage(`{"room":"`+room+`"}`)); reply.Error != nil {
			t.Fatalf("%s joins %s: %+v", n, room, reply.Error)
		}
	}
	join("ann", "red", 1)
	join("ben", "red", 1)
	join("ben", "blue", 2)
	join("cat", "blue", 1)
	if reply := clients["ann"].emitWithAck(t, 3, "rename", json.RawMessage(`"annie"`)); reply.Error == nil || reply.Error.Code != "forbidden" {
		t.Errorf("rename through Use: %+v, want code forbidden", reply.Error)
	}
	if got := []string{<-seen, <-seen, <-seen, <-seen}; !reflect.DeepEqual(got, []string{"join true", "join true", "join true", "join true"}) {
		t.Errorf("OnAny saw %v", got)
	}
	if err := s.srv.To("red").Except("blue").EmitTick(); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.In("blue").EmitRate(7); err != nil {
		t.Fatal(err)
	}
	clients["ann"].readUntil(t, `42["tick"]`)
	clients["ben"].readUntil(t, `42["rate",7]`)
	clients["cat"].readUntil(t, `42["rate",7]`)
	// ann got no rate and ben no tick: a marker every client gets comes after
	// anything they were sent before it.
	if err := s.srv.Broadcast().EmitChat(richevents.Chat{From: "server", Text: "end"}); err != nil {
		t.Fatal(err)
	}
	for n, unwanted := range map[string]string{"ann": `42["rate"`, "ben": `42["tick"`, "cat": `42["tick"`} {
		clients[n].readUntil(t, `42["chat"`)
		for _, f := range clients[n].seen {
			if strings.HasPrefix(f, unwanted) {
				t.Errorf("%s got %s", n, f)
			}
		}
	}
}

// expectClose reads until the server closes the WebSocket with code.
func (c *client) expectClose(t *testing.T, code int) {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, msg, err := c.ws.ReadMessage()
		if err == nil {
			if string(msg) == "2" {
				c.write(t, "3")
			}
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			t.Errorf("connection ended with %v, want close code %d", err, code)
		}
		return
	}
}

func ptr[T any](v T) *T { return &v }
