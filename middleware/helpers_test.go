package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/internal/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The test schema mirrors what the generator emits for a small events.yaml.
type browserToMessage struct {
	MessageText string `json:"messageText" validate:"min=1,max=500"`
}

type serverBackMessage struct {
	MessageText string `json:"messageText" validate:"min=1,max=500"`
}

type profileAddress struct {
	City string `json:"city" validate:"min=1"`
}

type profileItem struct {
	Name string `json:"name" validate:"min=2"`
}

type profile struct {
	Age      int64           `json:"age" validate:"min=0,max=150"`
	Role     string          `json:"role" validate:"oneof=admin user"`
	Nickname *string         `json:"nickname,omitempty" validate:"omitempty,ew_pattern_1"`
	Email    *string         `json:"email,omitempty" validate:"omitempty,email"`
	Tags     []string        `json:"tags,omitempty" validate:"omitempty,min=1,max=3,dive,max=5"`
	Score    *float64        `json:"score,omitempty" validate:"omitempty,min=0.5,max=9.5"`
	Address  *profileAddress `json:"address,omitempty"`
	Items    []profileItem   `json:"items,omitempty" validate:"omitempty,max=2,dive"`
}

func str() *Shape { return &Shape{Kind: KindString} }

func object(fields ...FieldShape) *Shape { return &Shape{Kind: KindObject, Fields: fields} }

func arrayOf(items *Shape) *Shape { return &Shape{Kind: KindArray, Items: items} }

func testSchema() Schema {
	msg := object(FieldShape{Name: "messageText", Required: true, Shape: str()})
	prof := object(
		FieldShape{Name: "age", Required: true, Shape: &Shape{Kind: KindInteger}},
		FieldShape{Name: "role", Required: true, Shape: str()},
		FieldShape{Name: "nickname", Shape: str()},
		FieldShape{Name: "email", Shape: str()},
		FieldShape{Name: "tags", Shape: arrayOf(str())},
		FieldShape{Name: "score", Shape: &Shape{Kind: KindNumber}},
		FieldShape{Name: "address", Shape: object(FieldShape{Name: "city", Required: true, Shape: str()})},
		FieldShape{Name: "items", Shape: arrayOf(object(FieldShape{Name: "name", Required: true, Shape: str()}))},
	)
	return Schema{
		Source: "testdata/events.yaml",
		Events: []Event{
			{Name: "link", ServerSends: true, Payload: str()},
			{Name: "browser_to_message", ClientSends: true, Payload: msg},
			{Name: "server_back_message", ServerSends: true, Payload: msg},
			{Name: "profile", ClientSends: true, Payload: prof},
			{Name: "nudge", ClientSends: true},
			{Name: "echo", ClientSends: true, ServerSends: true, Payload: str(), Tag: "min=1,max=5"},
			{Name: "numbers", ClientSends: true, Payload: arrayOf(&Shape{Kind: KindInteger}), Tag: "min=1,max=3,dive,min=0"},
			{Name: "act", ClientSends: true, Payload: str()},
			{Name: "tick", ServerSends: true},
			// Events with a typed reply (see ack_test.go).
			{Name: "join_room", ClientSends: true, Payload: object(FieldShape{Name: "room", Required: true, Shape: str()}),
				Ack: object(FieldShape{Name: "room", Required: true, Shape: str()},
					FieldShape{Name: "size", Required: true, Shape: &Shape{Kind: KindInteger}})},
			{Name: "whoami", ClientSends: true, Ack: str()},
			{Name: "shout", ClientSends: true, Payload: str(), Ack: str(), AckTag: "max=10"},
			{Name: "broken_reply", ClientSends: true, Ack: object()},
			{Name: "ask", ServerSends: true, Payload: str(), Ack: object(
				FieldShape{Name: "answer", Required: true, Shape: &Shape{Kind: KindInteger}},
				FieldShape{Name: "note", Shape: str()})},
			{Name: "count", ServerSends: true, Ack: &Shape{Kind: KindInteger}, AckTag: "min=0"},
			// format: date-time and type any (see shape_datetime_test.go).
			{Name: "status", ClientSends: true, Payload: statusShape()},
			{Name: "when", ClientSends: true, Payload: dateTime()},
		},
		Patterns: map[string]string{"ew_pattern_1": "^[a-z]+$"},
	}
}

// logBuffer is an io.Writer safe for the concurrent writes of a slog handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// disconnect is one OnDisconnect call.
type disconnect struct {
	id     string
	reason string
}

// harness is a Server on an httptest.Server with the test schema's handlers:
// browser_to_message broadcasts to the others, profile/numbers/echo/nudge
// record their value, act fails in the way its payload names.
type harness struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	logs  *logBuffer
	got   chan any
	gone  chan disconnect
	conns chan *Conn
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.WriteTimeout = 2 * time.Second
	return cfg
}

// newHarness is newBareHarness with the test handlers registered.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := newBareHarness(t, cfg)
	h.register()
	return h
}

// newBareHarness serves the test schema without handlers.
func newBareHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return newSchemaHarness(t, testSchema(), cfg)
}

// newSchemaHarness serves schema without handlers.
func newSchemaHarness(t *testing.T, schema Schema, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, logs: &logBuffer{}, got: make(chan any, 100),
		gone: make(chan disconnect, 100), conns: make(chan *Conn, 100)}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(schema, WithConfig(cfg), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	srv.OnConnect(func(ctx context.Context, c *Conn) error {
		h.conns <- c
		return nil
	})
	srv.OnDisconnect(func(c *Conn, reason string) { h.gone <- disconnect{c.ID(), reason} })
	h.ts = httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		h.ts.Close()
	})
	return h
}

func (h *harness) register() {
	t := h.t
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Handle(h.srv, "browser_to_message", func(ctx context.Context, c *Conn, m browserToMessage) error {
		return c.Broadcast().Emit("server_back_message", serverBackMessage(m))
	}))
	record := func(v any) { h.got <- v }
	must(Handle(h.srv, "profile", func(ctx context.Context, c *Conn, p profile) error { record(p); return nil }))
	must(Handle(h.srv, "numbers", func(ctx context.Context, c *Conn, n []int64) error { record(n); return nil }))
	must(Handle(h.srv, "echo", func(ctx context.Context, c *Conn, s string) error { return c.Emit("echo", s) }))
	must(HandleEmpty(h.srv, "nudge", func(ctx context.Context, c *Conn) error { record("nudge"); return nil }))
	must(Handle(h.srv, "act", func(ctx context.Context, c *Conn, what string) error {
		switch what {
		case "coded":
			return NewError("forbidden", "you may not")
		case "wrapped":
			return fmt.Errorf("in handler: %w", &Error{Code: "conflict", Message: "taken"})
		case "plain":
			return errors.New("db password is hunter2")
		case "panic":
			panic("boom: hunter2")
		}
		return nil
	}))
}

func (h *harness) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(h.ts.URL, "http") + h.srv.cfg.Path + "?" + query
}

// client is a raw WebSocket peer speaking Engine.IO/Socket.IO frames.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	open protocol.OpenPacket
	id   string // socket id after connect
	ack  uint64
}

// dial opens a WebSocket and reads the open packet.
func (h *harness) dial(header http.Header) *client {
	h.t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(h.wsURL("EIO=4&transport=websocket"), header)
	if err != nil {
		h.t.Fatalf("dial: %v (%v)", err, resp)
	}
	c := &client{t: h.t, ws: ws}
	h.t.Cleanup(func() { _ = ws.Close() })
	frame := c.read()
	if !strings.HasPrefix(frame, "0") || json.Unmarshal([]byte(frame[1:]), &c.open) != nil {
		h.t.Fatalf("open packet: %q", frame)
	}
	return c
}

// connect dials and completes the Socket.IO CONNECT; it returns the
// client and the server's Conn.
func (h *harness) connect() (*client, *Conn) {
	h.t.Helper()
	c := h.dial(nil)
	c.send("40")
	frame := c.read()
	var reply struct {
		SID string `json:"sid"`
	}
	if !strings.HasPrefix(frame, "40") || json.Unmarshal([]byte(frame[2:]), &reply) != nil || reply.SID == "" {
		h.t.Fatalf("connect reply: %q", frame)
	}
	c.id = reply.SID
	select {
	case conn := <-h.conns:
		if conn.ID() != c.id {
			h.t.Fatalf("OnConnect got %q, client %q", conn.ID(), c.id)
		}
		return c, conn
	case <-time.After(5 * time.Second):
		h.t.Fatal("OnConnect not called")
	}
	return nil, nil
}

func (c *client) send(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("send %q: %v", frame, err)
	}
}

func (c *client) read() string {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, msg, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		c.t.Fatalf("frame type %d", typ)
	}
	return string(msg)
}

// expectClose reads until the server closes and checks the close code.
func (c *client) expectClose(code int) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, msg, err := c.ws.ReadMessage()
		if err == nil {
			if string(msg) == "2" { // a ping racing the close
				continue
			}
			c.t.Fatalf("want close %d, got frame %q", code, msg)
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			c.t.Fatalf("want close %d, got %v", code, err)
		}
		return
	}
}

// emitAck sends `42<id>[name,args...]` and returns the single ack argument.
func (c *client) emitAck(name string, args ...string) string {
	c.t.Helper()
	c.ack++
	frame := fmt.Sprintf("42%d%s", c.ack, eventJSON(name, args...))
	c.send(frame)
	prefix := fmt.Sprintf("43%d[", c.ack)
	got := c.read()
	if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, "]") {
		c.t.Fatalf("want ack %d, got %q", c.ack, got)
	}
	return got[len(prefix) : len(got)-1]
}

func eventJSON(name string, args ...string) string {
	n, _ := json.Marshal(name)
	return "[" + strings.Join(append([]string{string(n)}, args...), ",") + "]"
}

// readEvent reads one frame and checks it is event name; it returns the raw args.
func (c *client) readEvent(name string) []json.RawMessage {
	c.t.Helper()
	frame := c.read()
	p, err := protocol.Decode([]byte(frame[1:]))
	if err != nil || frame[0] != '4' || p.Type != protocol.Event {
		c.t.Fatalf("want event %s, got %q (%v)", name, frame, err)
	}
	got, args, err := protocol.SplitEvent(p.Data)
	if err != nil || got != name {
		c.t.Fatalf("want event %s, got %q (%v)", name, frame, err)
	}
	return args
}

func (h *harness) waitGone(t *testing.T) disconnect {
	t.Helper()
	select {
	case d := <-h.gone:
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("OnDisconnect not called")
	}
	return disconnect{}
}

func (h *harness) waitGot(t *testing.T) any {
	t.Helper()
	select {
	case v := <-h.got:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("handler not called")
	}
	return nil
}

// jsonEqual compares two JSON texts ignoring formatting.
func jsonEqual(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON %q: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("JSON mismatch\n got: %s\nwant: %s", gb, wb)
	}
}
