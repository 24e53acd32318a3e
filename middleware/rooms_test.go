package middleware

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// ids returns the socket ids of conns, in order.
func ids(conns []*Conn) []string {
	out := make([]string, len(conns))
	for i, c := range conns {
		out[i] = c.ID()
	}
	return out
}

func TestRoomMembership(t *testing.T) {
	h := newHarness(t, testConfig())
	_, a := h.connect()
	_, b := h.connect()
	_, c := h.connect()
	a.Join("x", "y")
	b.Join("x")
	c.Join("y", "x", "y")
	steps := []struct {
		name    string
		act     func()
		rooms   []string           // Server.Rooms
		members map[string][]*Conn // RoomMembers, in join order
		of      map[*Conn][]string // Conn.Rooms
	}{
		{"joined", func() {}, []string{"x", "y"},
			map[string][]*Conn{"x": {a, b, c}, "y": {a, c}}, map[*Conn][]string{a: {"x", "y"}, b: {"x"}, c: {"x", "y"}}},
		{"joining again keeps the place", func() { a.Join("x") }, []string{"x", "y"},
			map[string][]*Conn{"x": {a, b, c}}, map[*Conn][]string{a: {"x", "y"}}},
		{"leave and rejoin goes last", func() { a.Leave("x"); a.Join("x") }, []string{"x", "y"},
			map[string][]*Conn{"x": {b, c, a}}, nil},
		{"leaving a room one is not in", func() { b.Leave("y", "nowhere") }, []string{"x", "y"},
			map[string][]*Conn{"y": {a, c}}, map[*Conn][]string{b: {"x"}}},
		{"an empty room is gone", func() { a.Leave("y"); c.Leave("y") }, []string{"x"},
			map[string][]*Conn{"y": {}}, map[*Conn][]string{a: {"x"}, c: {"x"}}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.act()
			if got := h.srv.Rooms(); !reflect.DeepEqual(got, st.rooms) {
				t.Errorf("Server.Rooms() = %v, want %v", got, st.rooms)
			}
			for room, want := range st.members {
				if got := h.srv.RoomMembers(room); !slices.Equal(ids(got), ids(want)) {
					t.Errorf("RoomMembers(%q) = %v, want %v", room, ids(got), ids(want))
				}
			}
			for c, want := range st.of {
				if got := c.Rooms(); !reflect.DeepEqual(got, want) {
					t.Errorf("%s.Rooms() = %v, want %v", c.ID(), got, want)
				}
			}
		})
	}
}

// readUntil reads frames until want and returns those before it.
func (c *client) readUntil(want string) []string {
	c.t.Helper()
	var before []string
	for {
		f := c.read()
		if f == want {
			return before
		}
		before = append(before, f)
	}
}

// connectNamed connects a client per name; it returns them and their Conns.
func (h *harness) connectNamed(names ...string) (map[string]*client, map[string]*Conn) {
	h.t.Helper()
	clients := map[string]*client{}
	conns := map[string]*Conn{}
	for _, n := range names {
		clients[n], conns[n] = h.connect()
	}
	return clients, conns
}

func TestRoomOperators(t *testing.T) {
	h := newHarness(t, testConfig())
	names := []string{"a", "b", "c", "d"}
	clients, conns := h.connectNamed(names...)
	conns["a"].Join("red")
	conns["b"].Join("red", "blue")
	conns["c"].Join("blue")
	base := h.srv.To("red")
	_ = base.Except("red").To("blue") // must not change base
	tests := []struct {
		name string
		op   Operator
		want []string
	}{
		{"To one room", h.srv.To("red"), []string{"a", "b"}},
		{"To two overlapping rooms, each once", h.srv.To("red", "blue"), []string{"a", "b", "c"}},
		{"To chained", h.srv.To("red").To("blue"), []string{"a", "b", "c"}},
		{"To a room twice", h.srv.To("red", "red"), []string{"a", "b"}},
		{"In", h.srv.In("blue"), []string{"b", "c"}},
		{"Except", h.srv.Except("red"), []string{"c", "d"}},
		{"To and Except", h.srv.To("blue").Except("red"), []string{"c"}},
		{"Except before To", h.srv.Except("red").In("blue"), []string{"c"}},
		{"Conn.To excludes the sender", conns["a"].To("red"), []string{"b"}},
		{"Conn.To a room the sender is not in", conns["d"].To("blue"), []string{"b", "c"}},
		{"Conn.To two rooms", conns["b"].To("red", "blue"), []string{"a", "c"}},
		{"Broadcast with Except", conns["a"].Broadcast().Except("blue"), []string{"d"}},
		{"Broadcast", h.srv.Broadcast(), names},
		{"unchanged by derived operators", base, []string{"a", "b"}},
		{"To no room reaches no one", h.srv.To(), nil},
		{"To an unknown room", h.srv.To("nowhere"), nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tag := fmt.Sprint("case ", i)
			if err := tc.op.Emit("link", tag); err != nil {
				t.Fatal(err)
			}
			if err := h.srv.Broadcast().Emit("link", "end"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range names {
				frames := clients[n].readUntil(`42["link","end"]`)
				for _, f := range frames {
					if f != fmt.Sprintf(`42["link",%q]`, tag) {
						t.Errorf("%s got %s", n, f)
					}
				}
				if len(frames) > 0 {
					got = append(got, n)
				}
				if len(frames) > 1 {
					t.Errorf("%s got the frame %d times", n, len(frames))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("recipients %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLeaveAllOnDisconnect(t *testing.T) {
	h := newHarness(t, testConfig())
	type seen struct {
		rooms   []string
		members []*Conn
	}
	inHook := make(chan seen, 1)
	h.srv.OnDisconnect(func(c *Conn, reason string) {
		// What an app does: tell the others in each room.
		for _, room := range c.Rooms() {
			_ = h.srv.To(room).Emit("link", c.ID()+" left "+room)
		}
		c.Join("late") // ignored: the connection has ended
		inHook <- seen{c.Rooms(), h.srv.RoomMembers("red")}
	})
	leaver, a := h.connect()
	other, b := h.connect()
	a.Join("red", "solo")
	b.Join("red")
	leaver.send("41")
	got := <-inHook
	if !reflect.DeepEqual(got.rooms, []string{"red", "solo"}) {
		t.Errorf("Rooms() in OnDisconnect = %v, want [red solo]", got.rooms)
	}
	if !slices.Equal(ids(got.members), []string{b.ID()}) {
		t.Errorf("RoomMembers(red) in OnDisconnect = %v, want only %s", ids(got.members), b.ID())
	}
	if f := other.read(); f != fmt.Sprintf(`42["link","%s left red"]`, a.ID()) {
		t.Errorf("the remaining member got %s", f)
	}
	if rooms := h.srv.Rooms(); !reflect.DeepEqual(rooms, []string{"red"}) {
		t.Errorf("Server.Rooms() = %v, want [red]", rooms)
	}
}

func TestJoinBeforeConnect(t *testing.T) {
	// Rooms named before the socket connects (from Authorize) count once it
	// has: no emit reaches a socket before its CONNECT reply.
	h := newSchemaHarness(t, authSchema(), testConfig())
	var early atomic.Pointer[Conn]
	err := Authorize(h.srv, func(ctx context.Context, c *Conn, a authPayload) error {
		c.Join("red")
		early.Store(c)
		if got := h.srv.RoomMembers("red"); len(got) != 0 {
			t.Errorf("an unconnected socket is a member: %v", ids(got))
		}
		return h.srv.To("red").Emit("link", "too early")
	})
	if err != nil {
		t.Fatal(err)
	}
	c := h.dial(nil)
	c.send(`40{"name":"ann"}`)
	if f := c.read(); f[:3] != `40{` {
		t.Fatalf("first frame %s", f)
	}
	<-h.conns
	if got := h.srv.RoomMembers("red"); !slices.Equal(ids(got), []string{early.Load().ID()}) {
		t.Errorf("members after connect %v", ids(got))
	}
}

// addFakeSockets adds n connected sockets, members of room when it is not
// "", that have no session: writing to one would panic, so an emit that
// completes never wrote to them.
func addFakeSockets(srv *Server, room string, n int) []*Conn {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	out := make([]*Conn, 0, n)
	for range n {
		c := &Conn{s: srv}
		if room != "" {
			c.roomSet = map[string]struct{}{room: {}}
		}
		srv.addSocketLocked(c)
		out = append(out, c)
	}
	return out
}

// TestRoomEmitReadsOnlyTheIndex shows a room emit picks its recipients
// from the room's members, never by filtering every socket: sockets that
// claim the room in their own set but are not in the index (a state the
// runtime never creates) are not recipients.
func TestRoomEmitReadsOnlyTheIndex(t *testing.T) {
	srv, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	members := addFakeSockets(srv, "red", 3)
	srv.mu.Lock()
	for range 1000 {
		c := &Conn{s: srv, roomSet: map[string]struct{}{"red": {}}}
		srv.sockets[c] = c.sess // connected, but not indexed
	}
	srv.mu.Unlock()
	got, err := srv.recipients(srv.To("red"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(members) {
		t.Fatalf("%d recipients, want the %d members", len(got), len(members))
	}
	for _, c := range got {
		if !slices.Contains(members, c) {
			t.Errorf("recipient %p is not a member", c)
		}
	}
}

// BenchmarkRoomEmit emits to a room of 10 real connections on servers with
// more and more other sockets (without sessions: a write to one would
// panic). ns/op and allocs/op stay flat: only the room's members are read.
func BenchmarkRoomEmit(b *testing.B) {
	for _, others := range []int{0, 10_000, 100_000} {
		b.Run(fmt.Sprint("others=", others), func(b *testing.B) {
			srv := benchServer(b, "red", 10)
			addFakeSockets(srv, "", others)
			addFakeSockets(srv, "blue", others/10)
			op := srv.To("red")
			b.ReportAllocs()
			for b.Loop() {
				if err := op.Emit("link", "hello room"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchServer serves the test schema with n connected clients in room,
// each draining its frames until the server closes.
func benchServer(b *testing.B, room string, n int) *Server {
	b.Helper()
	srv, err := New(testSchema(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	conns := make(chan *Conn, n)
	srv.OnConnect(func(ctx context.Context, c *Conn) error {
		c.Join(room)
		conns <- c
		return nil
	})
	ts := httptest.NewServer(srv)
	var drains sync.WaitGroup
	b.Cleanup(func() {
		_ = srv.Close()
		drains.Wait()
		ts.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	for range n {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = ws.WriteMessage(websocket.TextMessage, []byte("40"))
		drains.Add(1)
		go func() {
			defer drains.Done()
			defer ws.Close()
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
		<-conns
	}
	return srv
}
