// Package eventwiretest helps test eventwire handlers, in the spirit of
// net/http/httptest: NewServer serves a handler (a *middleware.Server, a
// generated Server, or the app's router around one) on a loopback
// httptest.Server, and its Dial returns a small Socket.IO client that
// connects with auth, emits with or without an ack, and waits for events.
// The client speaks the published protocol over a real WebSocket, so a
// test goes through everything a browser would: the handshake, Authorize,
// the schema checks, the handlers and the emitters.
//
//	srv := eventwiretest.NewServer(t, app) // app: an http.Handler
//	c := srv.Dial(t)
//	reply, err := c.EmitWithAck(ctx, "browser_to_message", map[string]string{"messageText": "hi"})
//	ev, err := other.WaitFor(ctx, "server_back_message")
package eventwiretest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/internal/protocol"
)

// TB is what the helpers need of a test: *testing.T, *testing.B and
// testing.TB satisfy it.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// Server is an http.Handler served on a loopback address for a test.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string
	// Path is where the eventwire server answers, "/socket.io/" unless
	// NewServer's caller set it (Config.Path).
	Path string
}

// NewServer serves h on a loopback httptest.Server, closed when the test
// ends (after the clients dialled through it). h answers the eventwire
// handshake at /socket.io/; set Server.Path for another Config.Path.
func NewServer(t TB, h http.Handler) *Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &Server{URL: ts.URL, Path: "/socket.io/"}
}

// DialOption sets up a Dial.
type DialOption func(*dialConfig)

type dialConfig struct {
	auth      any
	namespace string
	header    http.Header
}

// WithAuth sends v, encoded with encoding/json, as the CONNECT payload.
func WithAuth(v any) DialOption { return func(c *dialConfig) { c.auth = v } }

// WithNamespace connects namespace ns instead of "/".
func WithNamespace(ns string) DialOption { return func(c *dialConfig) { c.namespace = ns } }

// WithHeader sends h with the WebSocket handshake (an Origin, a cookie).
func WithHeader(h http.Header) DialOption { return func(c *dialConfig) { c.header = h } }

// Event is an event the server sent a Client.
type Event struct {
	Name string
	// Args are its arguments, raw JSON; binary attachments are in place
	// as base64 strings (so they decode into []byte). Offset is the
	// connection state recovery offset the server appended (recovery on),
	// not among Args.
	Args   []json.RawMessage
	Offset string
}

// Decode decodes argument i into v.
func (e Event) Decode(i int, v any) error {
	if i < 0 || i >= len(e.Args) {
		return fmt.Errorf("eventwiretest: event %q has %d argument(s), no argument %d", e.Name, len(e.Args), i)
	}
	return json.Unmarshal(e.Args[i], v)
}

// ConnectError is a refused CONNECT: the server's CONNECT_ERROR payload.
type ConnectError struct {
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func (e *ConnectError) Error() string { return "eventwiretest: connect refused: " + e.Message }

// Client is one Socket.IO socket on a WebSocket of its own. It answers the
// server's pings by itself. Its methods are safe for concurrent use.
type Client struct {
	ws        *websocket.Conn
	namespace string
	id, pid   string

	wmu    sync.Mutex    // one writer at a time
	events chan Event    // Next's; the reader waits when 1,024 are unread
	done   chan struct{} // closed when the connection ended
	err    error         // why; set before done is closed

	mu     sync.Mutex
	nextID uint64
	acks   map[uint64]chan []json.RawMessage
}

// Dial connects a Client to the server and waits for the CONNECT reply;
// a refused CONNECT fails the test with the server's error (use TryDial to
// test refusals). The client is closed when the test ends.
func (s *Server) Dial(t TB, opts ...DialOption) *Client {
	t.Helper()
	c, err := s.TryDial(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TryDial is Dial returning the error, a *ConnectError for a refused
// CONNECT; the caller closes the Client.
func (s *Server) TryDial(opts ...DialOption) (*Client, error) {
	cfg := dialConfig{namespace: "/"}
	for _, o := range opts {
		o(&cfg)
	}
	url := "ws" + strings.TrimPrefix(s.URL, "http") + s.Path + "?EIO=4&transport=websocket"
	ws, _, err := websocket.DefaultDialer.Dial(url, cfg.header)
	if err != nil {
		return nil, fmt.Errorf("eventwiretest: dial: %w", err)
	}
	c := &Client{ws: ws, namespace: cfg.namespace, events: make(chan Event, 1024), done: make(chan struct{}),
		acks: make(map[uint64]chan []json.RawMessage)}
	if err := c.handshake(cfg.auth); err != nil {
		_ = ws.Close()
		return nil, err
	}
	go c.read()
	return c, nil
}

// handshake reads the open packet, sends CONNECT and reads its reply.
func (c *Client) handshake(auth any) error {
	if _, open, err := c.ws.ReadMessage(); err != nil || len(open) == 0 || open[0] != '0' {
		return fmt.Errorf("eventwiretest: no Engine.IO open packet (%q, %v)", open, err)
	}
	var data []byte
	if auth != nil {
		var err error
		if data, err = json.Marshal(auth); err != nil {
			return fmt.Errorf("eventwiretest: auth: %w", err)
		}
	}
	if err := c.send(protocol.Append(nil, protocol.Packet{Type: protocol.Connect, Namespace: c.namespace, Data: data})); err != nil {
		return err
	}
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("eventwiretest: waiting for the CONNECT reply: %w", err)
		}
		if string(msg) == "2" {
			_ = c.send([]byte("3"))
			continue
		}
		p, err := decode(msg)
		if err != nil {
			return err
		}
		switch {
		case p.Type == protocol.ConnectError:
			ce := &ConnectError{}
			_ = json.Unmarshal(p.Data, ce)
			return ce
		case p.Type != protocol.Connect || p.Namespace != c.namespace:
			return fmt.Errorf("eventwiretest: %q before the CONNECT reply", msg)
		}
		var reply struct{ SID, PID string }
		if json.Unmarshal(p.Data, &reply) != nil || reply.SID == "" {
			return fmt.Errorf("eventwiretest: CONNECT reply %q has no sid", msg)
		}
		c.id, c.pid = reply.SID, reply.PID
		return nil
	}
}

// decode reads one Engine.IO message packet ("4…") of the server.
func decode(msg []byte) (protocol.Packet, error) {
	if len(msg) == 0 || msg[0] != '4' {
		return protocol.Packet{}, fmt.Errorf("eventwiretest: unexpected Engine.IO packet %q", msg)
	}
	p, err := protocol.Decode(msg[1:])
	if err != nil {
		return p, fmt.Errorf("eventwiretest: %q: %w", msg, err)
	}
	return p, nil
}

// ID is the socket id the server gave (Conn.ID on the server).
func (c *Client) ID() string { return c.id }

// send writes one Engine.IO frame (protocol's encoders add the '4' of a
// message packet).
func (c *Client) send(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// Emit sends event with args, each encoded with encoding/json.
func (c *Client) Emit(event string, args ...any) error {
	return c.emit(event, false, 0, args)
}

func (c *Client) emit(event string, hasID bool, id uint64, args []any) error {
	raw := make([][]byte, len(args))
	for i, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("eventwiretest: emit %q: argument %d: %w", event, i, err)
		}
		raw[i] = b
	}
	return c.send(protocol.AppendEvent(nil, c.namespace, hasID, id, event, raw...))
}

// EmitWithAck sends event with args and waits, until ctx ends, for the
// server's ack; it returns the ack's arguments (for an event events.yaml
// declares, one: {"data":…} or {"error":…}).
func (c *Client) EmitWithAck(ctx context.Context, event string, args ...any) ([]json.RawMessage, error) {
	ch := make(chan []json.RawMessage, 1)
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	c.acks[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.acks, id)
		c.mu.Unlock()
	}()
	if err := c.emit(event, true, id, args); err != nil {
		return nil, err
	}
	select {
	case reply := <-ch:
		return reply, nil
	case <-c.done:
		return nil, c.err
	case <-ctx.Done():
		return nil, fmt.Errorf("eventwiretest: no ack for %q: %w", event, ctx.Err())
	}
}

// Next returns the next event the server sent, waiting until ctx ends.
func (c *Client) Next(ctx context.Context) (Event, error) {
	select {
	case ev := <-c.events:
		return ev, nil
	default:
	}
	select {
	case ev := <-c.events:
		return ev, nil
	case <-c.done:
		select {
		case ev := <-c.events:
			return ev, nil
		default:
			return Event{}, c.err
		}
	case <-ctx.Done():
		return Event{}, fmt.Errorf("eventwiretest: no event: %w", ctx.Err())
	}
}

// WaitFor returns the next event named event, dropping the others before
// it, waiting until ctx ends.
func (c *Client) WaitFor(ctx context.Context, event string) (Event, error) {
	for {
		ev, err := c.Next(ctx)
		if err != nil || ev.Name == event {
			return ev, err
		}
	}
}

// Close disconnects the socket and closes the WebSocket.
func (c *Client) Close() error {
	_ = c.send(protocol.Append(nil, protocol.Packet{Type: protocol.Disconnect, Namespace: c.namespace}))
	err := c.ws.Close()
	<-c.done
	return err
}

// read runs until the connection ends: it answers pings, reassembles
// binary packets, queues events and hands acks to their waiters.
func (c *Client) read() {
	var pending *protocol.Packet // a binary packet awaiting attachments
	var atts [][]byte
	defer close(c.done)
	for {
		typ, msg, err := c.ws.ReadMessage()
		if err != nil {
			c.err = fmt.Errorf("eventwiretest: connection ended: %w", err)
			return
		}
		if typ == websocket.BinaryMessage {
			if pending == nil {
				c.err = errors.New("eventwiretest: a binary frame without a binary packet")
				return
			}
			if atts = append(atts, msg); len(atts) == pending.Attachments {
				data, err := protocol.ReplacePlaceholders(pending.Data, atts)
				if err != nil {
					c.err = err
					return
				}
				p := *pending
				p.Data, pending, atts = data, nil, nil
				c.handle(p)
			}
			continue
		}
		if string(msg) == "2" {
			_ = c.send([]byte("3"))
			continue
		}
		p, err := decode(msg)
		if err != nil {
			c.err = err
			return
		}
		if p.Attachments > 0 {
			pending = &p
			continue
		}
		c.handle(p)
	}
}

// handle dispatches a complete packet for this client's namespace.
func (c *Client) handle(p protocol.Packet) {
	if p.Namespace != c.namespace {
		return
	}
	switch p.Type {
	case protocol.Event, protocol.BinaryEvent:
		name, args, err := protocol.SplitEvent(p.Data)
		if err != nil {
			return
		}
		ev := Event{Name: name, Args: args}
		if c.pid != "" && !p.HasID && len(args) > 0 { // recovery: the offset is the last argument
			if json.Unmarshal(args[len(args)-1], &ev.Offset) == nil {
				ev.Args = args[:len(args)-1]
			}
		}
		c.events <- ev
	case protocol.Ack, protocol.BinaryAck:
		var args []json.RawMessage
		_ = json.Unmarshal(p.Data, &args)
		c.mu.Lock()
		ch := c.acks[p.ID]
		c.mu.Unlock()
		if ch != nil {
			ch <- args
		}
	}
}
