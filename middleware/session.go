package middleware

import (
	"errors"
	"io"
	"net"
	"runtime/debug"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/protocol"
)

// This file holds melody's callbacks: session start and end, errors.

// onSessionOpen runs on the upgrade's goroutine after melody registered the
// session and before its read loop starts.
func (s *Server) onSessionOpen(sess *melody.Session) {
	s.mu.Lock()
	e := s.upgrading[sess.Request]
	delete(s.upgrading, sess.Request)
	if e != nil {
		e.sess = sess
		s.conns[sess] = e
		s.live.Add(1)
	}
	s.mu.Unlock()
	if e == nil { // not from ServeHTTP; cannot happen, but never serve it
		_ = sess.CloseWithMsg(websocket.FormatCloseMessage(websocket.CloseInternalServerErr, ""))
		return
	}
	e.start()
	s.pending.Done() // after start, so Close sees a fully started engine
}

// onSessionEnd runs once melody's read loop has ended and the socket is closed.
func (s *Server) onSessionEnd(sess *melody.Session) {
	s.mu.Lock()
	e := s.conns[sess]
	delete(s.conns, sess)
	if e != nil {
		s.releaseIPLocked(e)
	}
	s.mu.Unlock()
	if e == nil {
		return
	}
	defer s.live.Done()
	e.finish() // every socket of the session ends, OnDisconnect included
}

func (s *Server) runOnDisconnect(fn func(*Conn, string), c *Conn, reason string) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("eventwire: OnDisconnect panicked", "conn", c.id, "remote", c.RemoteAddr(),
				"panic", r, "stack", string(debug.Stack()))
		}
	}()
	fn(c, reason)
}

// onSessionError hears every melody error: read and write failures (the
// transport ends), writes racing a close, and full outbound buffers.
func (s *Server) onSessionError(sess *melody.Session, err error) {
	e := s.lookup(sess)
	switch {
	case errors.Is(err, melody.ErrMessageBufferFull):
		s.noteDrop(e)
	case errors.Is(err, melody.ErrWriteClosed), errors.Is(err, melody.ErrSessionClosed):
		// A write raced the close; the conn is gone, nothing was promised.
	case e != nil:
		// gorilla sent 1009 for a frame over MaxPayload and the read loop
		// ends; a connection already closing was counted (or not) by its close.
		if errors.Is(err, websocket.ErrReadLimit) && !e.closing() {
			s.protocolErrors.Add(1)
		}
		e.setReason(transportReason(err))
		s.log.Debug("eventwire: transport ended", "conn", e.sid, "remote", e.req.RemoteAddr, "err", err)
	}
}

// noteDrop counts a frame melody dropped because the connection's buffer
// was full (melody's Write still returns nil). Logging at powers of two
// keeps a stuck consumer from flooding the log while staying visible.
func (s *Server) noteDrop(e *engine) {
	total := s.dropped.Add(1)
	if e == nil {
		return
	}
	n := e.dropped.Add(1)
	if n&(n-1) == 0 {
		s.log.Warn("eventwire: outbound buffer full, frame dropped", "conn", e.sid, "remote", e.req.RemoteAddr,
			"dropped", n, "dropped_total", total, "outbound_buffer", s.cfg.OutboundBuffer)
	}
}

func transportReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) {
		return reasonTransportClose
	}
	return reasonTransportError // read limit (1009 sent by gorilla), timeouts, resets
}

// openPacket is the Engine.IO handshake frame; upgrades is [] because the
// connection starts on WebSocket and clients iterate the field.
func openPacket(cfg Config, sid string) []byte {
	return protocol.AppendOpen(nil, protocol.OpenPacket{
		SID:          sid,
		Upgrades:     []string{},
		PingInterval: cfg.PingInterval.Milliseconds(),
		PingTimeout:  cfg.PingTimeout.Milliseconds(),
		MaxPayload:   cfg.MaxPayload,
	})
}
