package engineio

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/protocol"
)

// WebSocket close codes a session sends.
const (
	CloseNormal          = websocket.CloseNormalClosure
	CloseGoingAway       = websocket.CloseGoingAway
	CloseProtocolError   = websocket.CloseProtocolError
	CloseInvalidPayload  = websocket.CloseInvalidFramePayloadData
	ClosePolicyViolation = websocket.ClosePolicyViolation
	CloseMessageTooBig   = websocket.CloseMessageTooBig
	CloseTryAgainLater   = websocket.CloseTryAgainLater
)

// Why a session ended, as socket.io names it; the layer above closes with
// reasons of its own too.
const (
	ReasonTransportClose = "transport close"
	ReasonTransportError = "transport error"
	ReasonPingTimeout    = "ping timeout"
	ReasonParseError     = "parse error"
	ReasonShutdown       = "server shutting down"
	ReasonSlowConsumer   = "slow consumer"
)

type state uint8

const (
	stateOpen    state = iota // Engine.IO open
	stateClosing              // close frame queued
	stateClosed               // melody ended the session
)

// Session is one Engine.IO session: one WebSocket with its heartbeat,
// write queue and close. Data is the layer above's, in the same
// allocation; Handler.Open sets it up before the session is shared.
type Session[D any] struct {
	// What every emit to this session touches comes first, on one cache
	// line: a broadcast visits thousands of sessions, most not in cache.
	// ws is set before the session is shared (melody's connect callback).
	ws      *melody.Session
	wmu     sync.Mutex    // held while handing frames to melody; guards backlog; see Send
	refused atomic.Uint64 // frames melody refused for a full queue (onError counts them)
	backlog *backlog      // packets waiting for room in melody's queue; nil: none

	srv     *Server[D]
	req     *http.Request
	id      string   // the Engine.IO session id, sent in the open packet
	ip      string   // the remote address, counted against MaxConnectionsPerIP
	netConn net.Conn // set at the hijack, before the session is shared

	mu           sync.Mutex
	state        state
	reason       string // first reason recorded
	awaitingPong bool
	heartbeat    *time.Timer // next ping, or the pong deadline
	killTimer    *time.Timer

	Data D
}

// NewID returns 120 random bits, base64url encoded (20 characters).
func NewID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ID returns the Engine.IO session id the client got in the open packet.
func (e *Session[D]) ID() string { return e.id }

// Request returns the upgrade request, whose context ends with the session.
func (e *Session[D]) Request() *http.Request { return e.req }

// start sends the open packet and arms the heartbeat.
func (e *Session[D]) start() {
	cfg := &e.srv.cfg
	_ = e.Send(Text(protocol.AppendOpen(nil, protocol.OpenPacket{
		SID:          e.id,
		Upgrades:     []string{}, // the session starts on WebSocket, and clients iterate the field
		PingInterval: cfg.PingInterval.Milliseconds(),
		PingTimeout:  cfg.PingTimeout.Milliseconds(),
		MaxPayload:   cfg.MaxPayload,
	})))
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == stateOpen {
		e.heartbeat = time.AfterFunc(cfg.PingInterval, e.onHeartbeat)
	}
}

// onHeartbeat alternates: send a ping and wait PingTimeout for its pong;
// if the deadline passes with no pong, the connection is dead.
func (e *Session[D]) onHeartbeat() {
	e.mu.Lock()
	if e.state >= stateClosing {
		e.mu.Unlock()
		return
	}
	if e.awaitingPong {
		e.mu.Unlock()
		e.Close(CloseNormal, ReasonPingTimeout, ReasonPingTimeout, nil)
		return
	}
	e.awaitingPong = true
	e.heartbeat.Reset(e.srv.cfg.PingTimeout)
	e.mu.Unlock()
	_ = e.Send(Text([]byte{protocol.Ping}))
}

func (e *Session[D]) onPong() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.awaitingPong && e.state < stateClosing {
		e.awaitingPong = false
		e.heartbeat.Reset(e.srv.cfg.PingInterval)
	}
}

// Closing reports whether the session started closing.
func (e *Session[D]) Closing() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state >= stateClosing
}

// Close starts closing: it records the reason, tells the Handler (Closing),
// queues preface (a text frame, if any) and a close frame with code and
// text, and arms a timer that cuts the socket if the close frame is not
// out within WriteTimeout (melody drops it when the buffer is full, and a
// peer may stop reading). It reports whether this call started the close.
func (e *Session[D]) Close(code int, text, reason string, preface []byte) bool {
	e.mu.Lock()
	if e.state >= stateClosing {
		e.mu.Unlock()
		return false
	}
	e.state = stateClosing
	if e.reason == "" {
		e.reason = reason
	}
	e.stopHeartbeatLocked()
	e.killTimer = time.AfterFunc(e.srv.cfg.WriteTimeout, e.kill)
	e.mu.Unlock()
	e.srv.h.Closing(e)
	if preface != nil {
		_ = e.send(Text(preface), true)
	}
	_ = e.send(Packet{Text: closeFrame(code, text), close: true}, true)
	return true
}

// closeFrame is a WebSocket close frame's payload.
func closeFrame(code int, text string) []byte { return websocket.FormatCloseMessage(code, text) }

// ProtocolError closes a session whose frame breaks the protocol (1002).
func (e *Session[D]) ProtocolError(err error) {
	e.srv.log.Debug("eventwire: protocol error", LogKeySession, e.id, "remote", e.req.RemoteAddr, "err", err)
	e.closeBroken(CloseProtocolError, "protocol error")
}

// TooBig closes a session whose packet exceeds the limits (1009).
func (e *Session[D]) TooBig(err error) {
	e.srv.log.Debug("eventwire: packet too big", LogKeySession, e.id, "remote", e.req.RemoteAddr, "err", err)
	e.closeBroken(CloseMessageTooBig, "message too big")
}

// closeBroken closes a session that broke the protocol and counts it in
// Stats.ProtocolErrors; only the call that starts the close counts, so a
// session counts once however many bad frames it sent.
func (e *Session[D]) closeBroken(code int, text string) {
	if e.Close(code, text, ReasonParseError, nil) {
		e.srv.protocolErrors.Add(1)
	}
}

func (e *Session[D]) kill() {
	if e.netConn != nil {
		_ = e.netConn.Close()
	}
}

// setReason records why the transport ended unless a reason is known.
func (e *Session[D]) setReason(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.reason == "" {
		e.reason = reason
	}
}

// finish marks the session ended, stops everything still armed and tells
// the Handler why it ended.
func (e *Session[D]) finish() {
	e.mu.Lock()
	e.state = stateClosed
	e.stopHeartbeatLocked()
	if e.killTimer != nil {
		e.killTimer.Stop()
	}
	reason := e.reason
	e.mu.Unlock()
	e.discardBacklog() // nothing more goes out
	if reason == "" {
		reason = ReasonTransportClose
	}
	e.srv.h.Closed(e, reason)
}

func (e *Session[D]) stopHeartbeatLocked() {
	if e.heartbeat != nil {
		e.heartbeat.Stop()
	}
}
