package middleware

import (
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

type engineState uint8

const (
	engineOpen    engineState = iota // Engine.IO open
	engineClosing                    // close frame queued
	engineClosed                     // melody ended the session
)

// engine is one Engine.IO session: one WebSocket with its heartbeat, write
// queue and close. It carries one Socket.IO socket (a *Conn) per namespace
// the client connected, multiplexed as the protocol allows; closing the
// engine ends all of them.
type engine struct {
	// What every emit to this connection touches comes first, on one cache
	// line: a broadcast visits thousands of engines, most not in cache.
	// sess is set before the engine is shared (melody's connect callback).
	sess    *melody.Session
	wmu     sync.Mutex // held while queueing one packet's frames; see send
	dropped atomic.Uint64

	s       *Server // the root server (namespace "/")
	req     *http.Request
	sid     string   // Engine.IO session id, sent in the open packet
	ip      string   // the remote address, counted against Config.MaxConnectionsPerIP
	netConn net.Conn // set at the hijack, before the engine is shared

	mu           sync.Mutex
	state        engineState
	reason       string // first disconnect reason recorded
	awaitingPong bool
	everSocket   bool // a CONNECT was accepted: the connect timeout is over
	// sockets holds a socket per namespace, from CONNECT until it ends:
	// nearly always one, so a slice (8 bytes) beats a map (~200).
	sockets      []*Conn
	heartbeat    *time.Timer // next ping, or the pong deadline
	connectTimer *time.Timer
	killTimer    *time.Timer

	binary  *binaryPacket // a 45/46 awaiting attachments; read loop only
	limiter *eventLimiter // inbound event budget; nil: unlimited; read loop only
}

func newEngine(s *Server, r *http.Request) *engine {
	return &engine{s: s, req: r, sid: newID(), limiter: newEventLimiter(s.cfg)}
}

// start sends the open packet and arms the heartbeat and connect timers.
func (e *engine) start() {
	_ = e.send(textPacket(openPacket(e.s.cfg, e.sid)))
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == engineOpen {
		e.heartbeat = time.AfterFunc(e.s.cfg.PingInterval, e.onHeartbeat)
		e.connectTimer = time.AfterFunc(e.s.cfg.ConnectTimeout, e.onConnectTimeout)
	}
}

// onHeartbeat alternates: send a ping and wait PingTimeout for its pong;
// if the deadline passes with no pong, the connection is dead.
func (e *engine) onHeartbeat() {
	e.mu.Lock()
	if e.state >= engineClosing {
		e.mu.Unlock()
		return
	}
	if e.awaitingPong {
		e.mu.Unlock()
		e.closeWith(closeNormal, reasonPingTimeout, reasonPingTimeout, nil)
		return
	}
	e.awaitingPong = true
	e.heartbeat.Reset(e.s.cfg.PingTimeout)
	e.mu.Unlock()
	_ = e.send(textPacket([]byte{'2'}))
}

func (e *engine) onPong() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.awaitingPong && e.state < engineClosing {
		e.awaitingPong = false
		e.heartbeat.Reset(e.s.cfg.PingInterval)
	}
}

func (e *engine) onConnectTimeout() {
	e.mu.Lock()
	waiting := e.state == engineOpen && !e.everSocket
	e.mu.Unlock()
	if waiting {
		e.closeWith(closeNormal, reasonConnectTimeout, reasonConnectTimeout, nil)
	}
}

func (e *engine) closing() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state >= engineClosing
}

// socket returns the socket of namespace ns, or nil.
func (e *engine) socket(ns string) *Conn {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i := e.socketIndexLocked(ns); i >= 0 {
		return e.sockets[i]
	}
	return nil
}

func (e *engine) socketIndexLocked(ns string) int {
	for i, c := range e.sockets {
		if c.s.name == ns {
			return i
		}
	}
	return -1
}

// addSocket registers c, a socket being connected; false if the engine is
// closing or its namespace has a socket already.
func (e *engine) addSocket(c *Conn) (closing, dup bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state >= engineClosing {
		return true, false
	}
	if e.socketIndexLocked(c.s.name) >= 0 {
		return false, true
	}
	e.sockets = append(e.sockets, c)
	return false, false
}

// connected records that a socket connected, so the connect timeout ends.
func (e *engine) connected() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.everSocket = true
	if e.connectTimer != nil {
		e.connectTimer.Stop()
		e.connectTimer = nil // a stopped timer is garbage; do not keep it
	}
}

// detach removes c unless it is the engine's only socket; it reports
// whether c was detached (false: c is the last socket, or gone already).
func (e *engine) detach(c *Conn) (detached, present bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := e.socketIndexLocked(c.s.name)
	if e.state >= engineClosing || i < 0 || e.sockets[i] != c {
		return false, false
	}
	if len(e.sockets) == 1 {
		return false, true
	}
	e.sockets = slices.Delete(e.sockets, i, i+1)
	return true, true
}

// closeWith starts closing: it records the reason, stops every socket
// (context, broadcasts, waiting acks), queues preface (if any) and a close
// frame, and arms a timer that cuts the socket if the close frame is not
// out within WriteTimeout (melody drops it when the buffer is full, and a
// peer may stop reading). It reports whether this call started the close.
func (e *engine) closeWith(code int, text, reason string, preface []byte) bool {
	e.mu.Lock()
	if e.state >= engineClosing {
		e.mu.Unlock()
		return false
	}
	e.state = engineClosing
	if e.reason == "" {
		e.reason = reason
	}
	e.stopTimersLocked()
	e.killTimer = time.AfterFunc(e.s.cfg.WriteTimeout, e.kill)
	sockets := e.socketListLocked()
	e.mu.Unlock()
	for _, c := range sockets {
		c.stop()
	}
	if preface != nil {
		_ = e.send(textPacket(preface))
	}
	_ = e.sess.CloseWithMsg(websocket.FormatCloseMessage(code, text))
	return true
}

func (e *engine) socketListLocked() []*Conn {
	return slices.Clone(e.sockets)
}

func (e *engine) kill() {
	if e.netConn != nil {
		_ = e.netConn.Close()
	}
}

// setReason records why the transport ended unless a reason is known.
func (e *engine) setReason(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reason == "" {
		e.reason = reason
	}
}

// finish marks the session ended, stops everything still armed and ends
// every socket (OnDisconnect of those that connected).
func (e *engine) finish() {
	e.mu.Lock()
	e.state = engineClosed
	e.stopTimersLocked()
	if e.killTimer != nil {
		e.killTimer.Stop()
	}
	reason := e.reason
	sockets := e.sockets
	e.sockets = nil
	e.mu.Unlock()
	if reason == "" {
		reason = reasonTransportClose
	}
	for _, c := range sockets {
		c.finish(reason)
	}
}

func (e *engine) stopTimersLocked() {
	if e.heartbeat != nil {
		e.heartbeat.Stop()
	}
	if e.connectTimer != nil {
		e.connectTimer.Stop()
	}
}
