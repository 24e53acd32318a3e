package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
	"github.com/eventwire/eventwire/internal/recovery"
)

// Disconnect reasons, as socket.io names them.
const (
	reasonClientDisconnect = "client namespace disconnect"
	reasonServerDisconnect = "server namespace disconnect"
	reasonRateLimited      = "rate limit exceeded"
	reasonConnectTimeout   = "connect timeout" // never connected: no OnDisconnect
	reasonConnectRefused   = "connect refused" // never connected: no OnDisconnect
)

type connState uint8

const (
	stateOpen      connState = iota // CONNECT received, being authorized
	stateConnected                  // CONNECT answered
	stateClosing                    // ending: no more emits
	stateClosed                     // ended
)

// Conn is one Socket.IO socket: a client connected to one namespace of the
// Server (namespace "/", or one of Schema.Namespaces). Sockets of one
// client on several namespaces share one WebSocket (an Engine.IO session)
// and each has its own ID, rooms, per-connection data and disconnect. It
// is safe for concurrent use.
type Conn struct {
	s      *Server // the namespace's server
	sess   *session
	id     string // Socket.IO socket id, sent in the CONNECT reply
	ctx    context.Context
	cancel context.CancelFunc

	// auth is the CONNECT payload as sent (but recovery's pid and offset),
	// and connectAt when it arrived: see Handshake. Set before Authorize.
	auth      []byte
	connectAt time.Time

	mu        sync.Mutex
	state     connState
	connected bool // CONNECT was answered, so OnDisconnect runs

	// With Config.Recovery: the session's secret id, the log's top (and
	// epoch, in a cluster) when the session began, whether this socket
	// brought it back, and what became of the session when it ended (see
	// recovery.go). In a cluster, owner is this socket's hold on the
	// session in the broker.
	pid       string
	start     uint64
	epoch     string
	owner     string
	recovered bool
	fate      sessionFate // guarded by the namespace's recoveryState.smu
	endedAt   time.Time   // likewise
	quiet     quietMark   // likewise: where the connection ended

	// roomSet is the set of rooms c is in (or was in, once it ended);
	// guarded by s.mu, with the room index. See room_index.go.
	roomSet map[string]struct{}

	ackMu     sync.Mutex
	ackNext   uint64                 // next ack id of EmitWithAck
	acks      map[uint64]chan []byte // waiting EmitWithAck calls by ack id
	acksEnded bool                   // the connection ended: no more waits

	dataMu sync.RWMutex
	data   map[dataKey]any // *Key[T] -> T

	loggerOnce sync.Once
	logger     *slog.Logger // Logger's, made at its first call
}

func newConn(s *Server, e *session) *Conn {
	// Request values (say, an authenticated user) stay visible to
	// handlers; the lifetime is the socket's, not the request's.
	ctx, cancel := context.WithCancel(context.WithoutCancel(e.Request().Context()))
	return &Conn{s: s, sess: e, id: engineio.NewID(), ctx: ctx, cancel: cancel}
}

// ID returns the Socket.IO socket id the client got in `40{"sid":..}`.
func (c *Conn) ID() string { return c.id }

// SessionID returns the Engine.IO session id the client got in its open
// packet (`0{"sid":..}`); the sockets of one client on several namespaces
// share it.
func (c *Conn) SessionID() string { return c.sess.ID() }

// The keys of the log attributes that name a connection in every line the
// runtime logs about it, and in Conn.Logger's.
const (
	LogKeySocketID  = "socket_id"  // the Socket.IO socket id, Conn.ID
	LogKeySessionID = "session_id" // the Engine.IO session id, Conn.SessionID
)

// Logger returns the server's logger (WithLogger) with the attributes that
// name this socket: socket_id, session_id, namespace and remote, so a
// handler's log lines match the runtime's.
func (c *Conn) Logger() *slog.Logger {
	c.loggerOnce.Do(func() { c.logger = c.s.log.With(c.logAttrs()...) })
	return c.logger
}

// logAttrs are the log attributes that name c.
func (c *Conn) logAttrs() []any {
	return []any{LogKeySocketID, c.id, LogKeySessionID, c.sess.ID(), "namespace", c.s.name, "remote", c.RemoteAddr()}
}

// Namespace returns the socket's namespace, "/" or one of Schema.Namespaces.
func (c *Conn) Namespace() string { return c.s.name }

// Request returns the upgrade request. Treat it as read only.
func (c *Conn) Request() *http.Request { return c.sess.Request() }

// RemoteAddr returns the client's network address as the HTTP server saw it.
func (c *Conn) RemoteAddr() string { return c.sess.Request().RemoteAddr }

// Context returns a context cancelled when the socket ends (or starts
// ending); it carries the upgrade request's values.
func (c *Conn) Context() context.Context { return c.ctx }

// Emit sends one event to this socket. The event must be one the
// namespace's schema lets the server send; args are its payload (one
// argument, or none for an event without payload), each encoded with
// encoding/json. It returns ErrClosed once the socket is ending.
func (c *Conn) Emit(event string, args ...any) error {
	return c.emitPrepared(c.s.prepareTyped(event, args))
}

// emitPrepared sends ev, prepared (or failed) by prepareTyped or
// prepareUntyped, to this socket.
func (c *Conn) emitPrepared(ev preparedEvent, err error) error {
	switch {
	case err != nil:
		return err
	case c.s.rec != nil && c.s.rec.shared != nil && !c.isConnected():
		return ErrClosed // its emit would go through the cluster's log
	}
	c.s.observeEmitted(ev.name)
	_, err = c.s.sendEvent(ev, recovery.Target{Only: c.id}, c.write)
	return err
}

func (c *Conn) isConnected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateConnected
}

// Close disconnects the socket: it sends `41` (`41/ns,` on a namespace).
// When it is the only socket on its WebSocket, the WebSocket closes too
// and OnDisconnect runs when it has; otherwise the other sockets stay and
// OnDisconnect runs before Close returns. OnDisconnect sees "server
// namespace disconnect". It returns ErrClosed if the socket is ending.
func (c *Conn) Close() error {
	if !c.disconnect(reasonServerDisconnect, true) {
		return ErrClosed
	}
	return nil
}

// disconnect ends the socket alone, or with its WebSocket when it is the
// last socket there; notify sends the client its DISCONNECT first.
func (c *Conn) disconnect(reason string, notify bool) bool {
	var preface []byte
	if notify {
		preface = protocol.Append(nil, protocol.Packet{Type: protocol.Disconnect, Namespace: c.s.name})
	}
	return c.end(engineio.CloseNormal, "", reason, preface)
}

// end ends the socket with reason after queueing its last frame (if any):
// alone, or with its WebSocket, closed with code and text, when it is the
// last socket there. It reports false when the socket was ending already.
func (c *Conn) end(code int, text, reason string, last []byte) bool {
	detached, present := c.sess.Data.detach(c)
	switch {
	case !present:
		return false
	case !detached: // the last socket: the WebSocket ends with it
		return c.sess.Close(code, text, reason, last)
	}
	c.stop()
	if last != nil {
		_ = c.sess.Send(engineio.Text(last))
	}
	c.finish(reason)
	return true
}

// leave ends the socket at its client's DISCONNECT. The WebSocket stays
// open even when this was its last socket, as socket.io keeps the
// Engine.IO session: the client may CONNECT again on it. A session left
// with no socket is closed after connectTimeout.
func (c *Conn) leave(connectTimeout time.Duration) {
	if !c.sess.Data.release(c, connectTimeout, func() { onConnectTimeout(c.sess) }) {
		return // ending already
	}
	c.stop()
	c.finish(reasonClientDisconnect)
}

// write queues a packet to a connected socket.
func (c *Conn) write(p engineio.Packet) error {
	c.mu.Lock()
	ok := c.state == stateConnected
	c.mu.Unlock()
	if !ok {
		return ErrClosed
	}
	switch err := c.sess.Send(p); {
	case err == nil:
		c.s.observeDelivered(p, 1)
		return nil
	case errors.Is(err, engineio.ErrSlowConsumer):
		return ErrSlowConsumer
	}
	return ErrClosed
}

// markConnected moves a socket being authorized to connected; it reports
// the state found, so a socket ended meanwhile is told apart.
func (c *Conn) markConnected() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.state
	if st == stateOpen {
		c.state = stateConnected
		c.connected = true
	}
	return st
}

func (c *Conn) currentState() connState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// stop starts ending the socket: no more emits reach it, its context is
// cancelled, waiting acks return.
func (c *Conn) stop() {
	c.mu.Lock()
	if c.state < stateClosing {
		c.state = stateClosing
	}
	c.mu.Unlock()
	c.cancel()
	c.s.removeSocket(c)
	c.endAcks()
}

// finish ends the socket and runs OnDisconnect if it had connected.
func (c *Conn) finish(reason string) {
	c.mu.Lock()
	c.state = stateClosed
	connected := c.connected
	c.mu.Unlock()
	c.cancel()
	c.s.removeSocket(c)
	c.endAcks()
	if !connected {
		return
	}
	if c.s.rec != nil {
		c.s.rec.save(c, reason, c.s.cfg.RecoveryMaxDisconnection)
	}
	if _, fn := c.s.hooks(); fn != nil {
		_ = c.s.guard("OnDisconnect", func() error { fn(c, reason); return nil }, connAttrs(c, ""))
	}
}
