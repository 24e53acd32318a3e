package middleware

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestBroadcastAllButSender(t *testing.T) {
	h := newHarness(t, testConfig())
	a, _ := h.connect()
	b, _ := h.connect()
	c, _ := h.connect()
	lurker := h.dial(nil) // open but never CONNECTed: receives no events
	got := a.emitAck("browser_to_message", `{"messageText":"héllo 👋"}`)
	jsonEqual(t, got, `{"data":null}`) // the handler broadcast before the ack, so a got nothing first
	for _, other := range []*client{b, c} {
		args := other.readEvent("server_back_message")
		if len(args) != 1 {
			t.Fatalf("%d args", len(args))
		}
		jsonEqual(t, string(args[0]), `{"messageText":"héllo 👋"}`)
	}
	lurker.send("40")
	if frame := lurker.read(); !strings.HasPrefix(frame, "40{") {
		t.Errorf("unconnected socket got %q before its connect reply", frame)
	}
}

func TestServerBroadcastAndEmit(t *testing.T) {
	h := newHarness(t, testConfig())
	a, connA := h.connect()
	b, _ := h.connect()
	if err := h.srv.Broadcast().Emit("link", "to all"); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*client{a, b} {
		if args := cl.readEvent("link"); string(args[0]) != `"to all"` {
			t.Errorf("args %q", args)
		}
	}
	if err := connA.Emit("tick"); err != nil {
		t.Fatal(err)
	}
	if args := a.readEvent("tick"); len(args) != 0 {
		t.Errorf("tick args %q", args)
	}
	// b got no tick: its next frame is the ack of its own event.
	jsonEqual(t, b.emitAck("nudge"), `{"data":null}`)
	h.waitGot(t)
}

func TestEmitErrors(t *testing.T) {
	h := newHarness(t, testConfig())
	_, conn := h.connect()
	tests := []struct {
		name  string
		emit  func() error
		is    error
		inMsg string
	}{
		{"unknown event", func() error { return conn.Emit("nope", 1) }, ErrUnknownEvent, `"nope"`},
		{"client-only event", func() error { return conn.Emit("browser_to_message", browserToMessage{"x"}) }, ErrNotAllowed, "browser_to_message"},
		{"broadcast client-only event", func() error { return h.srv.Broadcast().Emit("profile", profile{}) }, ErrNotAllowed, "profile"},
		{"too many args", func() error { return conn.Emit("link", "a", "b") }, nil, "takes 1 argument(s), got 2"},
		{"args to an empty event", func() error { return conn.Emit("tick", 1) }, nil, "takes 0 argument(s), got 1"},
		{"unencodable arg", func() error { return conn.Emit("link", make(chan int)) }, nil, "argument 0"},
		{"zero operator", func() error { return Operator{}.Emit("link", "x") }, nil, "zero Operator"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.emit()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("%v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.inMsg) || !strings.HasPrefix(err.Error(), "eventwire: ") {
				t.Errorf("error %q lacks %q or the prefix", err, tc.inMsg)
			}
		})
	}
}

func TestDroppedFramesAreCounted(t *testing.T) {
	cfg := testConfig()
	cfg.OutboundBuffer = 1
	cfg.WriteTimeout = 500 * time.Millisecond
	h := newHarness(t, cfg)
	_, conn := h.connect() // the client never reads again
	big := strings.Repeat("x", 64<<10)
	for range 500 {
		_ = conn.Emit("link", big)
	}
	if h.srv.Stats().FramesDropped == 0 {
		t.Fatal("no drop counted")
	}
	if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "frame dropped") {
		t.Errorf("drop not logged at warn:\n%s", logs)
	}
}

// TestConcurrentEmitBroadcastDisconnect exercises emits, broadcasts, room
// joins, leaves and emits, membership queries and disconnects at once; run
// with -race.
func TestConcurrentEmitBroadcastDisconnect(t *testing.T) {
	h := newHarness(t, testConfig())
	const n = 8
	clients := make([]*client, n)
	conns := make([]*Conn, n)
	for i := range n {
		clients[i], conns[i] = h.connect()
	}
	var readers sync.WaitGroup
	for _, c := range clients {
		readers.Add(1)
		go func() { // drain until the connection ends
			defer readers.Done()
			_ = c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
			for {
				if _, _, err := c.ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for i := range n {
		writers.Add(2)
		go func() {
			defer writers.Done()
			for range 50 {
				_ = h.srv.Broadcast().Emit("link", "all")
				_ = conns[i].Broadcast().Emit("server_back_message", serverBackMessage{"others"})
			}
		}()
		go func() {
			defer writers.Done()
			room := []string{"a", "b"}[i%2]
			for j := range 50 {
				_ = conns[i].Emit("link", "you")
				conns[i].Join(room, "all")
				_ = h.srv.To(room).Except("b").Emit("link", "room")
				_ = conns[i].To("all").Emit("link", "room but me")
				_ = h.srv.RoomMembers("all")
				_ = conns[i].Rooms()
				conns[i].Leave(room)
				_ = h.srv.Len()
				if j == 25 && i%2 == 0 {
					_ = conns[i].Close()
				}
			}
		}()
	}
	// Clients leave on their own while the writers run.
	for i := 1; i < n; i += 2 {
		_ = clients[i].ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	}
	writers.Wait()
	for range n {
		h.waitGone(t)
	}
	readers.Wait()
	if h.srv.Len() != 0 {
		t.Errorf("Len %d", h.srv.Len())
	}
}

func TestEncodeEvent(t *testing.T) {
	tests := []struct {
		name  string
		event string
		args  []any
		want  string
	}{
		{"no argument", "tick", nil, `42["tick"]`},
		{"string", "link", []any{"hi"}, `42["link","hi"]`},
		{"html stays as typed", "m", []any{map[string]string{"t": "<b>&</b>"}}, `42["m",{"t":"<b>&</b>"}]`},
		{"several arguments", "m", []any{1, "two", []int{3}}, `42["m",1,"two",[3]]`},
		{"null", "m", []any{nil}, `42["m",null]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeEvent(tc.event, tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("encodeEvent = %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := encodeEvent("m", []any{func() {}}); err == nil {
		t.Error("a function argument encoded without error")
	}
}

// countingText is a payload that counts how often it is encoded.
type countingText struct {
	mu    sync.Mutex
	calls int
}

func (c *countingText) MarshalJSON() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	return []byte(`"once"`), nil
}

func TestBroadcastEncodesOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	clients := []*client{}
	for range 3 {
		cl, _ := h.connect()
		clients = append(clients, cl)
	}
	payload := &countingText{}
	if err := h.srv.Broadcast().Emit("link", payload); err != nil {
		t.Fatal(err)
	}
	for _, cl := range clients {
		if args := cl.readEvent("link"); string(args[0]) != `"once"` {
			t.Errorf("args %q", args)
		}
	}
	if payload.calls != 1 {
		t.Errorf("a broadcast to 3 clients encoded its payload %d times, want 1", payload.calls)
	}
}
