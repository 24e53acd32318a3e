package middleware

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/internal/engineio"
)

type adminAuth struct {
	Token string `json:"token" validate:"min=3"`
}

// nsSchema is the test schema plus namespace "/admin": kick (client sends,
// typed reply) and announce (server sends), with a token in its CONNECT.
func nsSchema() Schema {
	s := testSchema()
	s.Namespaces = []NamespaceSchema{{
		Name: "/admin",
		Events: []Event{
			{Name: "kick", ClientSends: true, Payload: str(), Ack: str()},
			{Name: "announce", ServerSends: true, Payload: str()},
			{Name: "quit", ClientSends: true},
		},
		Auth: object(FieldShape{Name: "token", Required: true, Shape: str()}),
	}}
	return s
}

// newNSHarness serves nsSchema with the test handlers on "/" and, on
// "/admin", kick (joins room "red" and replies with the socket's
// namespace), the same OnConnect/OnDisconnect channels, and an Authorize
// refusing the token "bad".
func newNSHarness(t *testing.T) (*harness, *Server) {
	t.Helper()
	h := newSchemaHarness(t, nsSchema(), testConfig())
	h.register()
	admin := h.srv.Namespace("/admin")
	if admin == nil || admin.Name() != "/admin" || h.srv.Namespace("/") != h.srv || h.srv.Namespace("/x") != nil {
		t.Fatal("Namespace lookup")
	}
	err := HandleAck(admin, "kick", func(ctx context.Context, c *Conn, who string) (string, error) {
		c.Join("red")
		return c.Namespace() + " kicked " + who, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Authorize(admin, func(ctx context.Context, c *Conn, a adminAuth) error {
		if a.Token == "bad" {
			return NewError("forbidden", "not an admin")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	admin.OnConnect(func(ctx context.Context, c *Conn) error { h.conns <- c; return nil })
	admin.OnDisconnect(func(c *Conn, reason string) { h.gone <- disconnect{c.ID(), reason} })
	return h, admin
}

// connectAdmin sends `40/admin,{auth}` and returns the socket id.
func (h *harness) connectAdmin(c *client, auth string) *Conn {
	h.t.Helper()
	c.send("40/admin," + auth)
	if f := c.read(); !strings.HasPrefix(f, `40/admin,{"sid":"`) {
		h.t.Fatalf("admin connect reply %q", f)
	}
	return <-h.conns
}

func TestNamespacesShareOneWebSocket(t *testing.T) {
	h, admin := newNSHarness(t)
	c, main := h.connect()
	adm := h.connectAdmin(c, `{"token":"abc"}`)
	if adm.ID() == main.ID() || adm.Namespace() != "/admin" || main.Namespace() != "/" || h.srv.Len() != 1 || admin.Len() != 1 {
		t.Fatalf("sockets %s %s, lens %d %d", main.ID(), adm.ID(), h.srv.Len(), admin.Len())
	}
	tests := []struct{ name, send, want string }{
		{"admin event and its ack", `42/admin,7["kick","bob"]`, `43/admin,7[{"data":"/admin kicked bob"}]`},
		{"admin event on main is unknown", `42["kick","bob"]`,
			`42["eventwire:error",{"event":"kick","code":"unknown_event","message":"unknown event"}]`},
		{"main event on admin is unknown", `42/admin,["echo","hi"]`,
			`42/admin,["eventwire:error",{"event":"echo","code":"unknown_event","message":"unknown event"}]`},
		{"main still works", `42["echo","hi"]`, `42["echo","hi"]`},
		{"invalid payload on admin", `42/admin,3["kick",1]`,
			`43/admin,3[{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"","rule":"type","param":"string","message":"payload must be of type string"}]}}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.send(tc.send)
			if got := c.read(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("rooms and broadcasts are per namespace", func(t *testing.T) {
		if !slices.Equal(admin.Rooms(), []string{"red"}) || len(h.srv.Rooms()) != 0 || !slices.Equal(adm.Rooms(), []string{"red"}) {
			t.Fatalf("rooms: admin %v, main %v", admin.Rooms(), h.srv.Rooms())
		}
		if err := admin.To("red").Emit("announce", "a"); err != nil {
			t.Fatal(err)
		}
		if err := h.srv.To("red").Emit("link", "nobody"); err != nil {
			t.Fatal(err)
		}
		if err := h.srv.Broadcast().Emit("link", "l"); err != nil {
			t.Fatal(err)
		}
		if err := admin.Broadcast().Emit("link", "x"); err == nil {
			t.Error("admin emitted a main event")
		}
		for _, want := range []string{`42/admin,["announce","a"]`, `42["link","l"]`} {
			if got := c.read(); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		}
	})
	t.Run("41 on a namespace ends only its socket", func(t *testing.T) {
		c.send("41/admin,")
		if d := h.waitGone(t); d.id != adm.ID() || d.reason != reasonClientDisconnect {
			t.Errorf("disconnect %+v", d)
		}
		if admin.Len() != 0 || len(admin.Rooms()) != 0 {
			t.Errorf("admin sockets %d, rooms %v", admin.Len(), admin.Rooms())
		}
		c.send(`42["echo","ok"]`)
		if got := c.read(); got != `42["echo","ok"]` {
			t.Errorf("main after admin left: %s", got)
		}
		c.send(`42/admin,["kick","x"]`) // not connected any more
		c.expectClose(websocket.CloseProtocolError)
		if d := h.waitGone(t); d.id != main.ID() || d.reason != engineio.ReasonParseError {
			t.Errorf("disconnect %+v", d)
		}
	})
}

func TestNamespaceConnectErrors(t *testing.T) {
	h, _ := newNSHarness(t)
	c, _ := h.connect()
	tests := []struct{ name, send, want string }{
		{"unknown namespace", `40/nope,`, `44/nope,{"message":"Invalid namespace"}`},
		{"refused by Authorize", `40/admin,{"token":"bad"}`,
			`44/admin,{"message":"not an admin","data":{"code":"forbidden"}}`},
		{"invalid auth", `40/admin,{}`,
			`44/admin,{"message":"invalid auth","data":{"code":"invalid_payload","details":[{"field":"token","rule":"required","message":"token is required"}]}}`},
		{"main socket still there", `42["echo","hi"]`, `42["echo","hi"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.send(tc.send)
			if got := c.read(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("a refused namespace alone closes the WebSocket", func(t *testing.T) {
		c := h.dial(nil)
		c.connectRefused(`40/admin,{"token":"bad"}`, `44/admin,{"message":"not an admin","data":{"code":"forbidden"}}`)
	})
	t.Run("second CONNECT to a namespace", func(t *testing.T) {
		c := h.dial(nil)
		h.connectAdmin(c, `{"token":"abc"}`)
		c.send(`40/admin,{"token":"abc"}`)
		c.expectClose(websocket.CloseProtocolError)
		h.waitGone(t)
	})
}

func TestNamespaceSocketsEndWithTheWebSocket(t *testing.T) {
	h, admin := newNSHarness(t)
	t.Run("namespace only, then server Close of the socket", func(t *testing.T) {
		c := h.dial(nil)
		adm := h.connectAdmin(c, `{"token":"abc"}`)
		if err := adm.Close(); err != nil {
			t.Fatal(err)
		}
		if got := c.read(); got != "41/admin," {
			t.Errorf("got %s", got)
		}
		c.expectClose(websocket.CloseNormalClosure) // it was the WebSocket's only socket
		if d := h.waitGone(t); d.id != adm.ID() || d.reason != reasonServerDisconnect {
			t.Errorf("disconnect %+v", d)
		}
	})
	t.Run("Close of one socket keeps the other", func(t *testing.T) {
		c, main := h.connect()
		adm := h.connectAdmin(c, `{"token":"abc"}`)
		if err := main.Close(); err != nil {
			t.Fatal(err)
		}
		if got := c.read(); got != "41" {
			t.Errorf("got %s", got)
		}
		if d := h.waitGone(t); d.id != main.ID() {
			t.Errorf("disconnect %+v", d)
		}
		if err := main.Emit("link", "x"); err == nil || main.Close() == nil {
			t.Error("a closed socket emits or closes")
		}
		if err := adm.Emit("announce", "still"); err != nil {
			t.Fatal(err)
		}
		if got := c.read(); got != `42/admin,["announce","still"]` {
			t.Errorf("got %s", got)
		}
		_ = c.ws.Close()
		if d := h.waitGone(t); d.id != adm.ID() || d.reason != engineio.ReasonTransportClose {
			t.Errorf("disconnect %+v", d)
		}
	})
	t.Run("closing the WebSocket ends every socket", func(t *testing.T) {
		c, main := h.connect()
		adm := h.connectAdmin(c, `{"token":"abc"}`)
		c.send("1")
		got := map[string]string{}
		for range 2 {
			d := h.waitGone(t)
			got[d.id] = d.reason
		}
		if got[main.ID()] != engineio.ReasonTransportClose || got[adm.ID()] != engineio.ReasonTransportClose || admin.Len() != 0 {
			t.Errorf("disconnects %v", got)
		}
	})
}

func TestNamespaceSchemaErrors(t *testing.T) {
	tests := []struct{ name, ns, want string }{
		{"root", "/", "is the main one"},
		{"no slash", "admin", `must start with "/"`},
		{"comma", "/a,b", "must not contain"},
		{"duplicate", "/admin", "declared twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := nsSchema()
			s.Namespaces = append(s.Namespaces, NamespaceSchema{Name: tc.ns})
			_, err := New(s)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "eventwire: ") {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
	s := nsSchema()
	s.Namespaces[0].Events = append(s.Namespaces[0].Events, Event{Name: "kick", ClientSends: true})
	if _, err := New(s); err == nil || !strings.Contains(err.Error(), `namespace "/admin"`) {
		t.Errorf("bad namespace events: %v", err)
	}
}

// TestNoReplyAfterNamespaceDisconnect: a handler that ends its own socket
// (not the WebSocket's last) sends no ack after the `41/admin,`; the other
// namespace on the WebSocket goes on.
func TestNoReplyAfterNamespaceDisconnect(t *testing.T) {
	h, admin := newNSHarness(t)
	if err := HandleEmpty(admin, "quit", func(ctx context.Context, c *Conn) error { return c.Close() }); err != nil {
		t.Fatal(err)
	}
	c, _ := h.connect()
	h.connectAdmin(c, `{"token":"abc"}`)
	c.send(`42/admin,7["quit"]`)
	c.send(`421["nudge"]`)
	var frames []string
	for {
		f := c.read()
		frames = append(frames, f)
		if strings.HasPrefix(f, "431") {
			break
		}
	}
	if !slices.Contains(frames, "41/admin,") || slices.ContainsFunc(frames, func(f string) bool { return strings.HasPrefix(f, "43/admin,") }) {
		t.Errorf("frames %q: want 41/admin, and no ack on /admin after it", frames)
	}
}

// TestNamespaceWithoutComma: socket.io's parser reads a namespace up to
// the first comma or to the end, so `41/admin` disconnects /admin, `40/x`
// is an invalid namespace, and `40/admin` is a CONNECT without auth.
func TestNamespaceWithoutComma(t *testing.T) {
	h, _ := newNSHarness(t)
	c, _ := h.connect()
	c.send("40/random")
	if got := c.read(); got != `44/random,{"message":"Invalid namespace"}` {
		t.Errorf("40/random: got %q", got)
	}
	h.connectAdmin(c, `{"token":"secret"}`)
	c.send("41/admin")
	if d := h.waitGone(t); d.reason != "client namespace disconnect" {
		t.Errorf("41/admin: OnDisconnect %+v", d)
	}
	c.send("40/admin") // no auth, which /admin requires
	if got := c.read(); !strings.HasPrefix(got, `44/admin,{"message":"invalid auth"`) {
		t.Errorf("40/admin: got %q, want /admin's refusal of a CONNECT without auth", got)
	}
}
