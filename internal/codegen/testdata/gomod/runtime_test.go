// The files of this directory are copied into a temporary module by
// internal/codegen's TestGeneratedGoCompiles, next to the generated package
// richevents: they use the typed API from outside. This one checks that the
// Go runtime reports for each payload of validation.json the details the JS
// client reports; acks_test.go covers acks, auth, rooms and event middleware.
package check

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"example.com/gentest/richevents"
	"github.com/eventwire/eventwire/middleware"
)

// handler accepts every valid payload; ping and chat answer through the
// typed emitters, the ack events reply. name holds each client's name, which
// Authorize sets from the auth payload; srv is the server h is registered on.
type handler struct {
	name *middleware.Key[richevents.Username]
	srv  *richevents.Server
}

var _ richevents.Handler = (*handler)(nil)

func (*handler) Chat(ctx context.Context, c *richevents.Conn, m richevents.Chat) error {
	return c.EmitChat(m)
}

func (*handler) Contact(context.Context, *richevents.Conn, richevents.Contact) error { return nil }

func (*handler) Invite(context.Context, *richevents.Conn, []richevents.InviteItem) error { return nil }

func (*handler) Ping(ctx context.Context, c *richevents.Conn) error { return c.EmitTick() }

func (*handler) PostCreate(context.Context, *richevents.Conn, richevents.PostCreate) error {
	return nil
}

func (*handler) Rate(ctx context.Context, c *richevents.Conn, v richevents.Score) error {
	return c.Broadcast().EmitRate(v)
}

func (*handler) Rename(ctx context.Context, c *richevents.Conn, v richevents.Username) error {
	if v == "admin" {
		return middleware.NewError("taken", "the name is taken")
	}
	return nil
}

func (*handler) Scores(context.Context, *richevents.Conn, []int64) error { return nil }

// Annotate sends the maps back; a label "bad key" is then added, which the
// outbound check refuses with the key's path.
func (*handler) Annotate(ctx context.Context, c *richevents.Conn, m richevents.Annotate) error {
	if err := c.EmitAnnotate(m); err != nil {
		return err
	}
	if m.Labels["probe"] == "" {
		return nil
	}
	m.Statuses = richevents.Statuses{"bad key": richevents.StatusesValueAway}
	return c.EmitAnnotate(m)
}

// Roster replies with each user's status as a one-item list; the user
// "crowd" gets six tags, one more than Tags' maxItems, which the outbound
// check refuses.
func (*handler) Roster(ctx context.Context, c *richevents.Conn, m richevents.Statuses) (map[string]richevents.Tags, error) {
	out := make(map[string]richevents.Tags, len(m))
	for name, status := range m {
		out[name] = richevents.Tags{string(status)}
		if name == "crowd" {
			out[name] = richevents.Tags{"a", "b", "c", "d", "e", "f"}
		}
	}
	return out, nil
}

// Join puts c in the room and replies with the members' names in join order;
// the room "secret" refuses everyone.
func (h *handler) Join(ctx context.Context, c *richevents.Conn, m richevents.Join) (richevents.JoinAck, error) {
	if m.Room == "secret" {
		return richevents.JoinAck{}, middleware.NewError("not_member", "invite only")
	}
	c.Join(m.Room)
	ack := richevents.JoinAck{Room: m.Room, Members: []richevents.Username{}}
	for _, member := range h.srv.RoomMembers(m.Room) {
		name, _ := h.name.Get(member.Conn)
		ack.Members = append(ack.Members, name)
	}
	return ack, nil
}

func (h *handler) Whoami(ctx context.Context, c *richevents.Conn) (richevents.Profile, error) {
	name, _ := h.name.Get(c.Conn)
	return richevents.Profile{Name: name}, nil
}

func (*handler) Sum(ctx context.Context, c *richevents.Conn, v []int64) (int64, error) {
	var sum int64
	for _, n := range v {
		sum += n
	}
	return sum, nil
}

func (*handler) Echo(ctx context.Context, c *richevents.Conn, v string) (string, error) {
	return "echo:" + v, nil
}

// Relay sends the value back to the client, whatever JSON it is.
func (*handler) Relay(ctx context.Context, c *richevents.Conn, v json.RawMessage) error {
	return c.EmitRelay(v)
}

// Stamp replies with the time it got, moved to UTC.
func (*handler) Stamp(ctx context.Context, c *richevents.Conn, v time.Time) (richevents.When, error) {
	return v.UTC(), nil
}

// Status replies with its meta as received; a meta left out or null is a
// nil json.RawMessage, which the reply carries as the string "absent". An
// extra of "no reply" makes it reply nil, which encodes as null.
func (*handler) Status(ctx context.Context, c *richevents.Conn, m richevents.Status) (json.RawMessage, error) {
	if string(m.Extra) == `"no reply"` {
		return nil, nil // null, which an ack of any refuses like every ack
	}
	if m.Meta == nil {
		return json.RawMessage(`"absent"`), nil
	}
	return m.Meta, nil
}

// authorize refuses two tokens, one with the app's code and one with a
// plain error, and names the client after its auth payload (default "anon").
func (h *handler) authorize(ctx context.Context, c *richevents.Conn, a richevents.Auth) error {
	switch a.Token {
	case "expired-token":
		return middleware.NewError("unauthorized", "the token has expired")
	case "exploding-token":
		return errors.New("the session store is down")
	}
	name := richevents.Username("anon")
	if a.Name != nil {
		name = *a.Name
	}
	h.name.Set(c.Conn, name)
	return nil
}

type validationCase struct {
	Name    string              `json:"name"`
	Event   string              `json:"event"`
	Args    bool                `json:"args"` // Payload is the array of the event's arguments
	Payload json.RawMessage     `json:"payload"`
	Details []middleware.Detail `json:"details"`
}

type ackReply struct {
	Data  json.RawMessage   `json:"data"`
	Error *middleware.Error `json:"error"`
}

func TestRuntimeReportsTheClientsDetails(t *testing.T) {
	data, err := os.ReadFile("testdata/validation.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []validationCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	cl := connect(t, serve(t).url, goodAuth)
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var reply ackReply
			if c.Args {
				var args []json.RawMessage
				if err := json.Unmarshal(c.Payload, &args); err != nil {
					t.Fatal(err)
				}
				reply = cl.emitArgs(t, i, c.Event, args...)
			} else {
				reply = cl.emitWithAck(t, i, c.Event, c.Payload)
			}
			var got []middleware.Detail
			if reply.Error != nil {
				if reply.Error.Code != "invalid_payload" {
					t.Fatalf("error %+v, want invalid_payload or success", reply.Error)
				}
				got = reply.Error.Details
			}
			if len(got) != 0 || len(c.Details) != 0 {
				if !reflect.DeepEqual(got, c.Details) {
					t.Errorf("payload %s\n got: %+v\nwant: %+v", c.Payload, got, c.Details)
				}
			}
		})
	}
}

func TestTypedEmittersAndErrors(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	if reply := cl.emitWithAck(t, 1, "rename", json.RawMessage(`"admin"`)); reply.Error == nil || reply.Error.Code != "taken" {
		t.Errorf("rename admin: reply %+v, want error code taken", reply)
	}
	if reply := cl.emitWithAck(t, 2, "ping", nil); reply.Error != nil {
		t.Fatalf("ping: %+v", reply.Error)
	}
	if frame := cl.readUntil(t, `42["tick"`); frame != `42["tick"]` {
		t.Errorf("after ping got %s, want 42[\"tick\"]", frame)
	}
	if reply := cl.emitWithAck(t, 3, "chat", json.RawMessage(`{"from":"alice","text":"hi"}`)); reply.Error != nil {
		t.Fatalf("chat: %+v", reply.Error)
	}
	if frame := cl.readUntil(t, `42["chat"`); frame != `42["chat",{"from":"alice","text":"hi"}]` {
		t.Errorf("chat echo: %s", frame)
	}
}

// client is a raw Socket.IO client; frames read while waiting for another
// are kept for later readUntil calls (an emit can arrive before its ack).
type client struct {
	ws   *websocket.Conn
	seen []string
}

// goodAuth is a CONNECT auth payload authorize accepts.
const goodAuth = `{"token":"secret-token"}`

// served is a running richevents server: its typed Server, its handler and
// the WebSocket URL of its Socket.IO endpoint.
type served struct {
	srv *richevents.Server
	h   *handler
	url string
}

// serve starts a richevents server with authorize as its auth check.
func serve(t *testing.T) served {
	t.Helper()
	h := &handler{name: middleware.NewKey[richevents.Username]("name")}
	cfg := middleware.DefaultConfig()
	cfg.RateLimit = 0 // the tests send dozens of events on one connection at once
	srv, err := richevents.NewServer(h, middleware.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	srv.Authorize(h.authorize)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	return served{srv: srv, h: h, url: "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"}
}

// serveConnected starts a server as serve does and connects one client
// with goodAuth: the client's side and the server's Conn for it.
func serveConnected(t *testing.T) (served, *client, *richevents.Conn) {
	t.Helper()
	s := serve(t)
	conns := make(chan *richevents.Conn, 1)
	s.srv.OnConnect(func(ctx context.Context, c *richevents.Conn) error {
		conns <- c
		return nil
	})
	cl := connect(t, s.url, goodAuth)
	return s, cl, <-conns
}

// dial opens a WebSocket to url and reads the Engine.IO open packet.
func dial(t *testing.T, url string) *client {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	c := &client{ws: ws}
	c.readUntil(t, "0{")
	return c
}

// connect dials url and completes the Socket.IO handshake with the auth
// payload auth (JSON).
func connect(t *testing.T, url, auth string) *client {
	t.Helper()
	c := dial(t, url)
	c.write(t, "40"+auth)
	c.readUntil(t, "40{")
	return c
}

func (c *client) emitWithAck(t *testing.T, id int, event string, payload json.RawMessage) ackReply {
	t.Helper()
	if payload == nil {
		return c.emitArgs(t, id, event)
	}
	return c.emitArgs(t, id, event, payload)
}

// emitArgs sends event with args under ack id and returns the reply.
func (c *client) emitArgs(t *testing.T, id int, event string, args ...json.RawMessage) ackReply {
	t.Helper()
	frameArgs := []any{event}
	for _, a := range args {
		frameArgs = append(frameArgs, a)
	}
	b, err := json.Marshal(frameArgs)
	if err != nil {
		t.Fatal(err)
	}
	c.write(t, "42"+strconv.Itoa(id)+string(b))
	prefix := "43" + strconv.Itoa(id) + "["
	frame := c.readUntil(t, prefix)
	var replies []ackReply
	if err := json.Unmarshal([]byte(frame[len(prefix)-1:]), &replies); err != nil || len(replies) != 1 {
		t.Fatalf("ack %s: %v", frame, err)
	}
	return replies[0]
}

// readUntil returns the first frame starting with prefix, answering pings.
func (c *client) readUntil(t *testing.T, prefix string) string {
	t.Helper()
	for i, frame := range c.seen {
		if strings.HasPrefix(frame, prefix) {
			c.seen = append(c.seen[:i], c.seen[i+1:]...)
			return frame
		}
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %q (other frames: %q): %v", prefix, c.seen, err)
		}
		frame := string(msg)
		switch {
		case frame == "2":
			c.write(t, "3")
		case strings.HasPrefix(frame, prefix):
			return frame
		default:
			c.seen = append(c.seen, frame)
		}
	}
}

func (c *client) write(t *testing.T, frame string) {
	t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		t.Fatal(err)
	}
}

func TestMapsRoundTrip(t *testing.T) {
	cl := connect(t, serve(t).url, goodAuth)
	payload := `{"labels":{"a b":"x","probe":"y"},"owners":{"cup":{"name":"alice"}},"matrix":{"r":{"c":[1]}}}`
	if reply := cl.emitWithAck(t, 1, "annotate", json.RawMessage(payload)); reply.Error == nil ||
		reply.Error.Code != "invalid_payload" {
		// The echo goes out; the second emit's refusal is the handler's error.
		t.Fatalf("annotate: reply %+v, want the outbound refusal", reply)
	} else if want := []middleware.Detail{{Field: `statuses["bad key"]`, Rule: "keyPattern", Param: "^[a-z][a-z0-9_]*$",
		Message: `statuses["bad key"] is a key that must match ^[a-z][a-z0-9_]*$`}}; !reflect.DeepEqual(reply.Error.Details, want) {
		t.Errorf("outbound details %+v, want %+v", reply.Error.Details, want)
	}
	frame := cl.readUntil(t, `42["annotate"`)
	var echo []json.RawMessage
	if err := json.Unmarshal([]byte(frame[2:]), &echo); err != nil || len(echo) != 2 {
		t.Fatalf("annotate echo %s: %v", frame, err)
	}
	var got, want any
	_ = json.Unmarshal(echo[1], &got)
	_ = json.Unmarshal([]byte(payload), &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("annotate echo %s, want %s", echo[1], payload)
	}
	reply := cl.emitWithAck(t, 2, "roster", json.RawMessage(`{"ann":"online","bob":"away"}`))
	if reply.Error != nil {
		t.Fatalf("roster: %+v", reply.Error)
	}
	var roster map[string][]string
	if err := json.Unmarshal(reply.Data, &roster); err != nil ||
		!reflect.DeepEqual(roster, map[string][]string{"ann": {"online"}, "bob": {"away"}}) {
		t.Errorf("roster ack %s (%v)", reply.Data, err)
	}
}
