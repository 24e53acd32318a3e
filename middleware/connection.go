package middleware

import (
	"slices"
	"sync"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
)

// connection is the Socket.IO half of one client connection (socket.io's
// Client): the sockets on it, one per namespace the client connected;
// binary reassembly; the event limiter; the connect timer. It lives in its
// Engine.IO session's typed slot, so a connection is one allocation.
type connection struct {
	mu      sync.Mutex
	closing bool // the session started closing: no socket may join
	// sockets holds a socket per namespace, from CONNECT until it ends:
	// nearly always one, so a slice (8 bytes) beats a map (~200).
	sockets      []*Conn
	connectTimer *time.Timer // closes a session left without a socket for ConnectTimeout

	binary  *binaryPacket // a 45/46 awaiting attachments; read loop only
	limiter *eventLimiter // inbound event budget; nil: unlimited; read loop only
}

// session is one client connection: the Engine.IO session, with its
// Socket.IO half in Data.
type session = engineio.Session[connection]

// connHandler is the Socket.IO layer as the Engine.IO layer calls it.
type connHandler struct{ c *core }

// Open sets up the Socket.IO half, before the session is shared.
func (h connHandler) Open(e *session) {
	d := &e.Data
	d.mu.Lock()
	defer d.mu.Unlock()
	d.limiter = newEventLimiter(h.c.cfg)
	d.connectTimer = time.AfterFunc(h.c.cfg.ConnectTimeout, func() { onConnectTimeout(e) })
}

// Text handles one Socket.IO packet.
func (h connHandler) Text(e *session, data []byte) { h.c.onPacket(e, data) }

// Binary handles one attachment of a binary packet.
func (h connHandler) Binary(e *session, data []byte) { h.c.onAttachment(e, data) }

// Closing stops every socket (context, broadcasts, waiting acks); none may
// join from now on.
func (connHandler) Closing(e *session) {
	d := &e.Data
	d.mu.Lock()
	d.closing = true
	d.stopConnectTimerLocked()
	sockets := slices.Clone(d.sockets)
	d.mu.Unlock()
	for _, c := range sockets {
		c.stop()
	}
}

// Closed ends every socket of the session (OnDisconnect of those that
// connected).
func (connHandler) Closed(e *session, reason string) {
	d := &e.Data
	d.mu.Lock()
	d.closing = true
	d.stopConnectTimerLocked()
	sockets := d.sockets
	d.sockets = nil
	d.mu.Unlock()
	for _, c := range sockets {
		c.finish(reason)
	}
}

// onConnectTimeout closes a session that has had no socket for
// ConnectTimeout: it never connected one, or its client disconnected the
// last.
func onConnectTimeout(e *session) {
	d := &e.Data
	d.mu.Lock()
	waiting := !d.closing && len(d.sockets) == 0
	d.mu.Unlock()
	if waiting {
		e.Close(engineio.CloseNormal, reasonConnectTimeout, reasonConnectTimeout, nil)
	}
}

func (d *connection) stopConnectTimerLocked() {
	if d.connectTimer != nil {
		d.connectTimer.Stop()
		d.connectTimer = nil // a stopped timer is garbage; do not keep it
	}
}

// socket returns the socket of namespace ns, or nil.
func (d *connection) socket(ns string) *Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i := d.socketIndexLocked(ns); i >= 0 {
		return d.sockets[i]
	}
	return nil
}

func (d *connection) socketIndexLocked(ns string) int {
	for i, c := range d.sockets {
		if c.s.name == ns {
			return i
		}
	}
	return -1
}

// addSocket registers c, a socket being connected; it reports whether the
// session is closing or its namespace has a socket already instead.
func (d *connection) addSocket(c *Conn) (closing, dup bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return true, false
	}
	if d.socketIndexLocked(c.s.name) >= 0 {
		return false, true
	}
	d.sockets = append(d.sockets, c)
	return false, false
}

// connected records that a socket connected, so the connect timeout ends.
func (d *connection) connected() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopConnectTimerLocked()
}

// release removes c, the last socket included, and arms the connect timer
// (onTimeout after timeout) when none is left; it reports false when c
// was not there (ending already).
func (d *connection) release(c *Conn, timeout time.Duration, onTimeout func()) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.socketIndexLocked(c.s.name)
	if d.closing || i < 0 || d.sockets[i] != c {
		return false
	}
	d.sockets = slices.Delete(d.sockets, i, i+1)
	if len(d.sockets) == 0 && d.connectTimer == nil {
		d.connectTimer = time.AfterFunc(timeout, onTimeout)
	}
	return true
}

// detach removes c unless it is the session's only socket; it reports
// whether c was detached (false: c is the last socket, or gone already).
func (d *connection) detach(c *Conn) (detached, present bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := d.socketIndexLocked(c.s.name)
	if d.closing || i < 0 || d.sockets[i] != c {
		return false, false
	}
	if len(d.sockets) == 1 {
		return false, true
	}
	d.sockets = slices.Delete(d.sockets, i, i+1)
	return true, true
}
