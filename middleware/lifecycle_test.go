package middleware

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestPingPong(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval = 30 * time.Millisecond
	cfg.PingTimeout = 100 * time.Millisecond
	h := newHarness(t, cfg)
	c, conn := h.connect()
	// Answering keeps the connection alive well past interval+timeout.
	for range 5 {
		if got := c.read(); got != "2" {
			t.Fatalf("want ping, got %q", got)
		}
		c.send("3")
	}
	if got := c.read(); got != "2" {
		t.Fatalf("want ping, got %q", got)
	}
	// No pong: closed after PingTimeout with reason "ping timeout".
	c.expectClose(websocket.CloseNormalClosure)
	if d := h.waitGone(t); d.reason != "ping timeout" || d.id != c.id {
		t.Errorf("disconnect %+v", d)
	}
	select {
	case <-conn.Context().Done():
	default:
		t.Error("Context not cancelled")
	}
	if h.srv.Len() != 0 {
		t.Errorf("Len %d after disconnect", h.srv.Len())
	}
}

// TestLastNamespaceKeepsTheSession: a client that disconnects its last
// namespace keeps its Engine.IO session, as with socket.io: pings go on,
// and it may CONNECT again on the same WebSocket. A session left without a
// socket for connect_timeout is closed.
func TestLastNamespaceKeepsTheSession(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = 50*time.Millisecond, time.Second
	cfg.ConnectTimeout = 400 * time.Millisecond
	h := newHarness(t, cfg)
	c, _ := h.connect()
	c.send("41")
	if d := h.waitGone(t); d.reason != "client namespace disconnect" {
		t.Fatalf("OnDisconnect %+v", d)
	}
	// Heartbeats go on, and the client connects again on the same WebSocket.
	if got := c.read(); got != "2" {
		t.Fatalf("read %q after the disconnect, want a ping", got)
	}
	c.send("3")
	c.send("40")
	for got := c.read(); !strings.HasPrefix(got, "40{"); got = c.read() {
		if got != "2" {
			t.Fatalf("read %q, want the CONNECT reply", got)
		}
		c.send("3")
	}
	conn := <-h.conns
	if conn.Namespace() != "/" {
		t.Fatalf("connected %s", conn.Namespace())
	}
	// Left without a socket again: closed once connect_timeout has passed.
	c.send("41")
	h.waitGone(t)
	start := time.Now()
	c.expectClose(websocket.CloseNormalClosure) // pings unanswered time out only after 1s
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("closed %v after the last disconnect, before connect_timeout (400ms)", waited)
	}
}

func TestConnectTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.ConnectTimeout = 50 * time.Millisecond
	h := newHarness(t, cfg)
	c := h.dial(nil)
	c.expectClose(websocket.CloseNormalClosure)
	select {
	case d := <-h.gone:
		t.Errorf("OnDisconnect for a socket never connected: %+v", d)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		name   string
		act    func(t *testing.T, c *client, conn *Conn, srv *Server)
		frames []string // frames the client reads before the close
		code   int      // close code; 0: the client closed, nothing to read
		reason string
	}{
		{"client sends 41 (the WebSocket stays: TestLastNamespaceKeepsTheSession)", func(t *testing.T, c *client, _ *Conn, _ *Server) { c.send("41") },
			nil, 0, "client namespace disconnect"},
		{"client sends engine.io close", func(t *testing.T, c *client, _ *Conn, _ *Server) { c.send("1") },
			nil, websocket.CloseNormalClosure, "transport close"},
		{"client closes the websocket", func(t *testing.T, c *client, _ *Conn, _ *Server) {
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		}, nil, websocket.CloseNormalClosure, "transport close"},
		{"client drops the TCP connection", func(t *testing.T, c *client, _ *Conn, _ *Server) { _ = c.ws.NetConn().Close() },
			nil, 0, "transport close"},
		{"server closes the conn", func(t *testing.T, _ *client, conn *Conn, _ *Server) {
			if err := conn.Close(); err != nil {
				t.Error(err)
			}
			if err := conn.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("second Close: %v", err)
			}
			if err := conn.Emit("link", "late"); !errors.Is(err, ErrClosed) {
				t.Errorf("Emit after Close: %v", err)
			}
		}, []string{"41"}, websocket.CloseNormalClosure, "server namespace disconnect"},
		{"server shuts down", func(t *testing.T, _ *client, _ *Conn, srv *Server) { _ = srv.Shutdown(context.Background()) },
			nil, websocket.CloseGoingAway, "server shutting down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			c, conn := h.connect()
			tc.act(t, c, conn, h.srv)
			for _, want := range tc.frames {
				if got := c.read(); got != want {
					t.Errorf("read %q, want %q", got, want)
				}
			}
			if tc.code != 0 {
				c.expectClose(tc.code)
			}
			d := h.waitGone(t)
			if d.reason != tc.reason || d.id != c.id {
				t.Errorf("disconnect %+v, want reason %q", d, tc.reason)
			}
			if conn.Context().Err() == nil {
				t.Error("Context not cancelled")
			}
		})
	}
}

func TestOnConnectError(t *testing.T) {
	tests := []struct {
		name string
		fn   func(ctx context.Context, c *Conn) error
		log  string
	}{
		{"error", func(context.Context, *Conn) error { return errors.New("no seat left") }, "no seat left"},
		{"panic", func(context.Context, *Conn) error { panic("kaboom") }, "kaboom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			h.srv.OnConnect(tc.fn)
			c := h.dial(nil)
			c.send("40")
			if got := c.read(); !strings.HasPrefix(got, `40{"sid":`) {
				t.Fatalf("connect reply %q", got)
			}
			if got := c.read(); got != "41" {
				t.Fatalf("want 41, got %q", got)
			}
			c.expectClose(websocket.CloseNormalClosure)
			if d := h.waitGone(t); d.reason != "server namespace disconnect" {
				t.Errorf("reason %q", d.reason)
			}
			if logs := h.logs.String(); !strings.Contains(logs, "OnConnect failed") || !strings.Contains(logs, tc.log) {
				t.Errorf("log lacks the failure:\n%s", logs)
			}
		})
	}
}

func TestCloseWithHijackedClientStillOpen(t *testing.T) {
	// Close must return even when clients never answer the close frame.
	h := newHarness(t, testConfig())
	var clients []*client
	for range 5 {
		c, _ := h.connect()
		clients = append(clients, c)
	}
	done := make(chan struct{})
	go func() {
		_ = h.srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	for range clients {
		h.waitGone(t)
	}
	if h.srv.Len() != 0 {
		t.Errorf("Len %d after Close", h.srv.Len())
	}
}

// The connection runs on after ServeHTTP returns (serveConn), yet its
// request's context lives until the connection ends, as it did when
// ServeHTTP blocked for the connection's life.
func TestRequestContextLivesWithConnection(t *testing.T) {
	h := newHarness(t, testConfig())
	cl, c := h.connect()
	ctx := c.Request().Context()
	if ctx.Err() != nil {
		t.Fatalf("request context ended while connected: %v", ctx.Err())
	}
	_ = cl.ws.Close()
	h.waitGone(t)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("request context still live after the connection ended")
	}
}
