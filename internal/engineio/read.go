package engineio

import (
	"errors"
	"fmt"
	"io"
	"net"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/protocol"
)

// This file holds melody's callbacks: a session's open, frames, errors
// and end.

// onOpen runs on the upgrade's goroutine after melody registered the
// session and before its read loop starts.
func (s *Server[D]) onOpen(ws *melody.Session) {
	s.mu.Lock()
	e := s.upgrading[ws.Request]
	delete(s.upgrading, ws.Request)
	if e != nil {
		e.ws = ws
		s.sessions[ws] = e
		s.live.Add(1)
	}
	s.mu.Unlock()
	if e == nil { // not from ServeHTTP; cannot happen, but never serve it
		_ = ws.CloseWithMsg(closeFrame(websocket.CloseInternalServerErr, ""))
		return
	}
	s.opened.Add(1)
	s.h.Open(e)
	e.start()
	s.pending.Done() // after start, so Shutdown sees a fully started session
}

// onEnd runs once melody's read loop has ended and the socket is closed.
func (s *Server[D]) onEnd(ws *melody.Session) {
	s.mu.Lock()
	e := s.sessions[ws]
	delete(s.sessions, ws)
	if e != nil {
		s.releaseIPLocked(e)
	}
	s.mu.Unlock()
	if e == nil {
		return
	}
	defer s.live.Done()
	e.finish()
}

func (s *Server[D]) lookup(ws *melody.Session) *Session[D] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[ws]
}

// onText handles one inbound text frame, an Engine.IO packet. melody calls
// it from the session's read loop, so frames of one session are handled in
// order.
func (s *Server[D]) onText(ws *melody.Session, msg []byte) {
	e := s.lookup(ws)
	if e == nil {
		return
	}
	if len(msg) == 0 {
		e.ProtocolError(errors.New("empty frame"))
		return
	}
	if !utf8.Valid(msg) {
		// RFC 6455 requires text frames to be UTF-8; gorilla does not check.
		s.log.Debug("eventwire: invalid UTF-8", LogKeySession, e.id, "remote", e.req.RemoteAddr)
		e.closeBroken(CloseInvalidPayload, "invalid UTF-8")
		return
	}
	switch msg[0] {
	case protocol.Message:
		shallow(func() { s.h.Text(e, msg[1:]) })
	case protocol.Pong:
		e.onPong()
	case protocol.Ping: // only probes; answer in kind
		_ = e.Send(Text(append([]byte{protocol.Pong}, msg[1:]...)))
	case protocol.Close:
		e.Close(CloseNormal, "", ReasonTransportClose, nil)
	case protocol.Noop:
	default:
		e.ProtocolError(fmt.Errorf("unexpected Engine.IO packet type %q", msg[0]))
	}
}

// onBinary hands a binary frame to the Handler.
func (s *Server[D]) onBinary(ws *melody.Session, msg []byte) {
	e := s.lookup(ws)
	if e == nil || e.Closing() {
		return
	}
	shallow(func() { s.h.Binary(e, msg) })
}

// shallow runs fn, a packet's handling, on a goroutine of its own and waits
// for it, so frames are still handled one at a time and in order. The
// read loop's goroutine lives as long as its connection and rests about
// 1.5 KiB deep; handling a packet (decoding, validation, Authorize,
// OnConnect, handlers: user code of any depth) grows its stack to 8 KiB or
// more, and Go gives a stack back only while under a quarter of it is in
// use, which the resting read loop never is. Run here, that growth ends
// with fn, and an idle connection keeps a 4 KiB read stack (issue 7:
// memory per idle connection). A panic that escapes fn is raised again on
// the read loop, as if fn had run there.
func shallow(fn func()) {
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		fn()
	}()
	if p := <-done; p != nil {
		panic(p)
	}
}

// onError hears every melody error: read and write failures (the
// transport ends), writes racing a close, and full outbound buffers.
func (s *Server[D]) onError(ws *melody.Session, err error) {
	e := s.lookup(ws)
	switch {
	case errors.Is(err, melody.ErrMessageBufferFull):
		if e != nil {
			e.refused.Add(1) // Send and drain see it: the frame waits in the backlog
		}
	case errors.Is(err, melody.ErrWriteClosed), errors.Is(err, melody.ErrSessionClosed):
		// A write raced the close; the session is gone, nothing was promised.
	case e != nil:
		// gorilla sent 1009 for a frame over MaxPayload and the read loop
		// ends; a session already closing was counted (or not) by its close.
		if errors.Is(err, websocket.ErrReadLimit) && !e.Closing() {
			s.protocolErrors.Add(1)
		}
		e.setReason(transportReason(err))
		s.log.Debug("eventwire: transport ended", LogKeySession, e.id, "remote", e.req.RemoteAddr, "err", err)
	}
}

func transportReason(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) {
		return ReasonTransportClose
	}
	return ReasonTransportError // read limit (1009 sent by gorilla), timeouts, resets
}
