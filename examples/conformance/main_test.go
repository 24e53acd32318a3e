package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/middleware"
)

// The rules of docs/engine.io-protocol (v4) and docs/socket.io-protocol
// (v5) in socketio/socket.io, one test each, with raw WebSocket frames
// against the conformance server. The WebSocket transport only: eventwire
// does not serve HTTP long-polling (docs/PROTOCOL.md says why).

func startServer(t *testing.T) string {
	t.Helper()
	handler, srv, err := newServer(conformanceConfig(middleware.DefaultConfig()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	return ts.URL
}

// raw is a WebSocket client that answers no ping unless told to.
type raw struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, base, query string) *raw {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/socket.io/?"+query, nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &raw{t: t, ws: ws}
}

// open dials with EIO=4 and reads the open packet.
func open(t *testing.T, base string) (*raw, map[string]any) {
	t.Helper()
	c := dialRaw(t, base, "EIO=4&transport=websocket")
	frame := c.text()
	var hs map[string]any
	if !strings.HasPrefix(frame, "0") || json.Unmarshal([]byte(frame[1:]), &hs) != nil {
		t.Fatalf("open packet %q", frame)
	}
	return c, hs
}

func (c *raw) send(frame string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *raw) sendBinary(b []byte) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.t.Fatal(err)
	}
}

// next reads the next frame, pings included.
func (c *raw) next() (int, []byte, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	return c.ws.ReadMessage()
}

// text reads the next text frame that is not a ping, answering pings.
func (c *raw) text() string {
	c.t.Helper()
	for {
		typ, msg, err := c.next()
		switch {
		case err != nil:
			c.t.Fatalf("read: %v", err)
		case typ != websocket.TextMessage:
			c.t.Fatalf("binary frame %q where a text frame was due", msg)
		case string(msg) == "2":
			c.send("3")
			continue
		}
		return string(msg)
	}
}

func (c *raw) binary() []byte {
	c.t.Helper()
	typ, msg, err := c.next()
	if err != nil || typ != websocket.BinaryMessage {
		c.t.Fatalf("want a binary frame: type %d %q %v", typ, msg, err)
	}
	return msg
}

// closed reads until the server closes the connection, answering pings,
// and returns the close error.
func (c *raw) closed() error {
	c.t.Helper()
	for {
		_, msg, err := c.next()
		if err != nil {
			return err
		}
		if string(msg) == "2" {
			c.send("3")
		}
	}
}

func (c *raw) expect(want string) {
	c.t.Helper()
	if got := c.text(); got != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
}

// connected sends a CONNECT and checks the reply and the auth event.
func (c *raw) connected(connect, ns, wantAuth string) {
	c.t.Helper()
	c.send(connect)
	prefix := "40"
	if ns != "/" {
		prefix = "40" + ns + ","
	}
	reply := c.text()
	var body struct{ SID string }
	if !strings.HasPrefix(reply, prefix+"{") || json.Unmarshal([]byte(reply[len(prefix):]), &body) != nil || body.SID == "" {
		c.t.Fatalf("CONNECT reply %q, want %s{\"sid\":…}", reply, prefix)
	}
	evPrefix := "42"
	if ns != "/" {
		evPrefix = "42" + ns + ","
	}
	c.expect(evPrefix + `["auth",` + wantAuth + `]`)
}

func TestEngineIOHandshake(t *testing.T) {
	base := startServer(t)
	_, hs := open(t, base)
	sid, _ := hs["sid"].(string)
	upgrades, _ := hs["upgrades"].([]any)
	if sid == "" || upgrades == nil || len(upgrades) != 0 || hs["pingInterval"] != 300.0 || hs["pingTimeout"] != 200.0 || hs["maxPayload"] == nil {
		t.Errorf("open packet %v: want a sid, no upgrades, pingInterval 300, pingTimeout 200 and maxPayload", hs)
	}
}

func TestEngineIORefusals(t *testing.T) {
	base := startServer(t)
	tests := []struct {
		name, query string
		status      int
		body        string
	}{
		{"unsupported protocol version", "EIO=3&transport=websocket", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"no protocol version", "transport=websocket", 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"unknown transport", "EIO=4&transport=udp", 400, `{"code":0,"message":"Transport unknown"}`},
		{"polling, which eventwire does not serve", "EIO=4&transport=polling", 400, `{"code":0,"message":"Transport unknown"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(base + "/socket.io/?" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || strings.TrimSpace(string(body)) != tc.body {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}
}

// TestEngineIOHeartbeat: the server pings every pingInterval; a client that
// answers stays, one that does not is closed after pingTimeout.
func TestEngineIOHeartbeat(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	c.connected("40", "/", "{}")
	for range 3 { // three pings answered: the session lives past several intervals
		typ, msg, err := c.next()
		if err != nil || typ != websocket.TextMessage || string(msg) != "2" {
			t.Fatalf("want a ping, got %q %v", msg, err)
		}
		c.send("3")
	}
	start := time.Now()
	for { // no more answers
		_, msg, err := c.next()
		if err != nil {
			break
		}
		if string(msg) != "2" {
			t.Fatalf("unexpected %q", msg)
		}
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("closed %v after the last pong, want about pingInterval + pingTimeout", waited)
	}
}

func TestEngineIOClosePacket(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	c.send("1")
	if err := c.closed(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("after the client's close packet: %v", err)
	}
}

func TestEngineIOInvalidPacket(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	c.send("9")
	if err := c.closed(); !websocket.IsCloseError(err, websocket.CloseProtocolError) {
		t.Errorf("after an unknown packet type: %v", err)
	}
}

func TestSocketIOConnect(t *testing.T) {
	base := startServer(t)
	tests := []struct {
		name, connect, ns, auth string
	}{
		{"main namespace", "40", "/", "{}"},
		{"main namespace with auth", `40{"token":"123"}`, "/", `{"token":"123"}`},
		{"custom namespace", "40/custom,", "/custom", "{}"},
		{"custom namespace with auth", `40/custom,{"token":"abc"}`, "/custom", `{"token":"abc"}`},
		{"custom namespace without a trailing comma", "40/custom", "/custom", "{}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := open(t, base)
			c.connected(tc.connect, tc.ns, tc.auth)
		})
	}
}

func TestSocketIOInvalidNamespace(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	c.send("40/random")
	c.expect(`44/random,{"message":"Invalid namespace"}`)
	c.connected("40", "/", "{}") // the session stays
}

// TestSocketIOConnectTimeout: a session that sends no CONNECT within the
// connect timeout (1s) is closed.
func TestSocketIOConnectTimeout(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	start := time.Now()
	if err := c.closed(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("without CONNECT: %v", err)
	}
	if waited := time.Since(start); waited < 800*time.Millisecond || waited > 3*time.Second {
		t.Errorf("closed after %v, want about 1s", waited)
	}
}

func TestSocketIOEvents(t *testing.T) {
	base := startServer(t)
	for _, ns := range []string{"/", "/custom"} {
		t.Run(ns, func(t *testing.T) {
			c, _ := open(t, base)
			head, connect := "42", "40"
			ackHead := "43"
			if ns != "/" {
				head, connect, ackHead = "42"+ns+",", "40"+ns+",", "43"+ns+","
			}
			c.connected(connect, ns, "{}")
			c.send(head + `["message",1,"2",{"3":[true]}]`)
			c.expect(head + `["message-back",1,"2",{"3":[true]}]`)
			c.send(head + `456["message-with-ack",1,"2",{"3":[true]}]`)
			c.expect(ackHead + `456[1,"2",{"3":[true]}]`)
		})
	}
}

func TestSocketIOBinary(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	c.connected("40", "/", "{}")
	c.send(`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.sendBinary([]byte{1, 2, 3})
	c.sendBinary([]byte{4, 5, 6})
	c.expect(`452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	if b := c.binary(); string(b) != "\x01\x02\x03" {
		t.Errorf("first attachment %v", b)
	}
	if b := c.binary(); string(b) != "\x04\x05\x06" {
		t.Errorf("second attachment %v", b)
	}
	c.send(`452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	c.sendBinary([]byte{1, 2, 3})
	c.sendBinary([]byte{4, 5, 6})
	c.expect(`462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`)
	if b := c.binary(); string(b) != "\x01\x02\x03" {
		t.Errorf("first ack attachment %v", b)
	}
	if b := c.binary(); string(b) != "\x04\x05\x06" {
		t.Errorf("second ack attachment %v", b)
	}
}

// TestSocketIODisconnect: a DISCONNECT of the last namespace keeps the
// Engine.IO session (pings go on, a CONNECT on the same WebSocket works);
// a DISCONNECT of one namespace leaves the others.
func TestSocketIODisconnect(t *testing.T) {
	base := startServer(t)
	c, _ := open(t, base)
	c.connected("40", "/", "{}")
	c.connected("40/custom,", "/custom", "{}")
	c.send("41/custom,")
	c.send(`42["message","still here"]`)
	c.expect(`42["message-back","still here"]`)
	c.send("41")
	c.connected("40/custom", "/custom", "{}") // the same WebSocket
	c.send("41/custom")
	if err := c.closed(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("a session left without a namespace: %v, want closed after the connect timeout", err)
	}
}

// TestSocketIOInvalidState: packets in an invalid state close the session.
func TestSocketIOInvalidState(t *testing.T) {
	base := startServer(t)
	tests := []struct {
		name    string
		connect bool
		frame   string
	}{
		{"DISCONNECT before CONNECT", false, "41"},
		{"EVENT before CONNECT", false, `42["message"]`},
		{"ACK before CONNECT", false, "431[]"},
		{"DISCONNECT of a namespace not connected", true, "41/custom,"},
		{"EVENT for a namespace not connected", true, `42/custom,["message"]`},
		{"a second CONNECT", true, "40"},
		{"a malformed packet", true, `42["message",`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := open(t, base)
			if tc.connect {
				c.connected("40", "/", "{}")
			}
			c.send(tc.frame)
			if err := c.closed(); !websocket.IsCloseError(err, websocket.CloseProtocolError) {
				t.Errorf("after %q: %v, want close 1002", tc.frame, err)
			}
		})
	}
}
