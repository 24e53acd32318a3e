package middleware

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

// Disconnect reasons, as socket.io names them.
const (
	reasonClientDisconnect = "client namespace disconnect"
	reasonServerDisconnect = "server namespace disconnect"
	reasonTransportClose   = "transport close"
	reasonTransportError   = "transport error"
	reasonPingTimeout      = "ping timeout"
	reasonParseError       = "parse error"
	reasonShutdown         = "server shutting down"
	reasonConnectTimeout   = "connect timeout" // never connected: no OnDisconnect
	reasonConnectRefused   = "connect refused" // never connected: no OnDisconnect
)

// WebSocket close codes the server sends.
const (
	closeNormal          = websocket.CloseNormalClosure
	closeGoingAway       = websocket.CloseGoingAway
	closeProtocolError   = websocket.CloseProtocolError
	closeUnsupportedData = websocket.CloseUnsupportedData
)

type connState uint8

const (
	stateOpen      connState = iota // Engine.IO open, waiting for CONNECT
	stateConnected                  // CONNECT answered
	stateClosing                    // close frame queued
	stateClosed                     // melody ended the session
)

// Conn is one client connection (one Engine.IO session carrying one
// Socket.IO socket on namespace "/"). It is safe for concurrent use.
type Conn struct {
	s      *Server
	req    *http.Request
	id     string // Socket.IO socket id, sent in the CONNECT reply
	sid    string // Engine.IO session id, sent in the open packet
	ctx    context.Context
	cancel context.CancelFunc
	// Set before the Conn is shared (hijack, then melody's connect callback).
	sess    *melody.Session
	netConn net.Conn

	mu           sync.Mutex
	state        connState
	connected    bool   // CONNECT was answered, so OnDisconnect runs
	reason       string // first disconnect reason recorded
	awaitingPong bool
	heartbeat    *time.Timer // next ping, or the pong deadline
	connectTimer *time.Timer
	killTimer    *time.Timer

	dropped atomic.Uint64

	// roomSet is the set of rooms c is in (or was in, once it ended);
	// guarded by s.mu, with the room index. See room_index.go.
	roomSet map[string]struct{}

	ackMu     sync.Mutex
	ackNext   uint64                 // next ack id of EmitWithAck
	acks      map[uint64]chan []byte // waiting EmitWithAck calls by ack id
	acksEnded bool                   // the connection ended: no more waits

	dataMu sync.RWMutex
	data   map[any]any // *Key[T] -> T
}

func newConn(s *Server, r *http.Request) *Conn {
	// Request values (say, an authenticated user) stay visible to
	// handlers; the lifetime is the connection's, not the request's.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	return &Conn{s: s, req: r, id: newID(), sid: newID(), ctx: ctx, cancel: cancel}
}

// newID returns 120 random bits, base64url encoded (20 characters).
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ID returns the Socket.IO socket id the client got in `40{"sid":..}`.
func (c *Conn) ID() string { return c.id }

// Request returns the upgrade request. Treat it as read only.
func (c *Conn) Request() *http.Request { return c.req }

// RemoteAddr returns the client's network address as the HTTP server saw it.
func (c *Conn) RemoteAddr() string { return c.req.RemoteAddr }

// Context returns a context cancelled when the connection ends (or starts
// closing); it carries the upgrade request's values.
func (c *Conn) Context() context.Context { return c.ctx }

// Emit sends one event to this connection. The event must be one the
// schema lets the server send; args are its payload (one argument, or none
// for an event without payload), each encoded with encoding/json. It
// returns ErrClosed once the connection is closing.
func (c *Conn) Emit(event string, args ...any) error {
	frame, err := c.s.encodeEmit(event, args)
	if err != nil {
		return err
	}
	return c.write(frame)
}

// Close disconnects the socket: it sends `41`, then closes the WebSocket.
// OnDisconnect sees "server namespace disconnect". It returns ErrClosed if
// the connection is already closing.
func (c *Conn) Close() error {
	if !c.closeWith(closeNormal, "", reasonServerDisconnect, []byte("41")) {
		return ErrClosed
	}
	return nil
}

// write queues a frame to a connected socket.
func (c *Conn) write(frame []byte) error {
	c.mu.Lock()
	ok := c.state == stateConnected
	c.mu.Unlock()
	if !ok || c.sess.Write(frame) != nil {
		return ErrClosed
	}
	return nil
}

// start sends the open packet and arms the heartbeat and connect timers.
func (c *Conn) start() {
	_ = c.sess.Write(openPacket(c.s.cfg, c.sid))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateOpen {
		c.heartbeat = time.AfterFunc(c.s.cfg.PingInterval, c.onHeartbeat)
		c.connectTimer = time.AfterFunc(c.s.cfg.ConnectTimeout, c.onConnectTimeout)
	}
}

// onHeartbeat alternates: send a ping and wait PingTimeout for its pong;
// if the deadline passes with no pong, the connection is dead.
func (c *Conn) onHeartbeat() {
	c.mu.Lock()
	if c.state >= stateClosing {
		c.mu.Unlock()
		return
	}
	if c.awaitingPong {
		c.mu.Unlock()
		c.closeWith(closeNormal, reasonPingTimeout, reasonPingTimeout, nil)
		return
	}
	c.awaitingPong = true
	c.heartbeat.Reset(c.s.cfg.PingTimeout)
	c.mu.Unlock()
	_ = c.sess.Write([]byte{'2'})
}

func (c *Conn) onPong() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.awaitingPong && c.state < stateClosing {
		c.awaitingPong = false
		c.heartbeat.Reset(c.s.cfg.PingInterval)
	}
}

func (c *Conn) onConnectTimeout() {
	c.mu.Lock()
	open := c.state == stateOpen
	c.mu.Unlock()
	if open {
		c.closeWith(closeNormal, reasonConnectTimeout, reasonConnectTimeout, nil)
	}
}

// markConnected moves an open connection to connected; it reports the state
// found, so a second CONNECT can be told from one racing a close.
func (c *Conn) markConnected() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state
	if st == stateOpen {
		c.state = stateConnected
		c.connected = true
		if c.connectTimer != nil {
			c.connectTimer.Stop()
		}
	}
	return st
}

func (c *Conn) currentState() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// closeWith starts closing: it records the reason, cancels the context,
// queues preface (if any) and a close frame, and arms a timer that cuts the
// socket if the close frame is not out within WriteTimeout (melody drops it
// when the buffer is full, and a peer may stop reading). It reports whether
// this call started the close.
func (c *Conn) closeWith(code int, text, reason string, preface []byte) bool {
	c.mu.Lock()
	if c.state >= stateClosing {
		c.mu.Unlock()
		return false
	}
	c.state = stateClosing
	if c.reason == "" {
		c.reason = reason
	}
	c.stopTimersLocked()
	c.killTimer = time.AfterFunc(c.s.cfg.WriteTimeout, c.kill)
	c.mu.Unlock()
	c.cancel()
	c.s.removeSocket(c)
	c.endAcks()
	if preface != nil {
		_ = c.sess.Write(preface)
	}
	_ = c.sess.CloseWithMsg(websocket.FormatCloseMessage(code, text))
	return true
}

func (c *Conn) kill() {
	if c.netConn != nil {
		_ = c.netConn.Close()
	}
}

// setReason records why the transport ended unless a reason is known.
func (c *Conn) setReason(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == "" {
		c.reason = reason
	}
}

// finish marks the session ended and stops everything still armed.
func (c *Conn) finish() (connected bool, reason string) {
	c.mu.Lock()
	c.state = stateClosed
	c.stopTimersLocked()
	if c.killTimer != nil {
		c.killTimer.Stop()
	}
	connected, reason = c.connected, c.reason
	c.mu.Unlock()
	c.cancel()
	c.endAcks()
	if reason == "" {
		reason = reasonTransportClose
	}
	return connected, reason
}

func (c *Conn) stopTimersLocked() {
	if c.heartbeat != nil {
		c.heartbeat.Stop()
	}
	if c.connectTimer != nil {
		c.connectTimer.Stop()
	}
}
