package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"unicode/utf8"

	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/protocol"
)

// onMessage handles one inbound text frame. melody calls it from the
// connection's read loop, so frames of one connection are handled in order.
func (s *Server) onMessage(sess *melody.Session, msg []byte) {
	e := s.lookup(sess)
	if e == nil {
		return
	}
	if len(msg) == 0 {
		e.protocolError(errors.New("empty frame"))
		return
	}
	if e.binary != nil {
		e.protocolError(errors.New("text frame before the attachments of a binary packet"))
		return
	}
	if !utf8.Valid(msg) {
		// RFC 6455 requires text frames to be UTF-8; gorilla does not check.
		e.s.log.Debug("eventwire: invalid UTF-8", "conn", e.sid, "remote", e.req.RemoteAddr)
		e.closeBroken(closeInvalidPayload, "invalid UTF-8")
		return
	}
	switch msg[0] {
	case protocol.Message:
		shallow(func() { s.onPacket(e, msg[1:]) })
	case protocol.Pong:
		e.onPong()
	case protocol.Ping: // only probes; answer in kind
		_ = e.send(textPacket(append([]byte{protocol.Pong}, msg[1:]...)))
	case protocol.Close:
		e.closeWith(closeNormal, "", reasonTransportClose, nil)
	case protocol.Noop:
	default:
		e.protocolError(fmt.Errorf("unexpected Engine.IO packet type %q", msg[0]))
	}
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

// protocolError closes a connection whose frame breaks the protocol (1002),
// with every socket on it.
func (e *engine) protocolError(err error) {
	e.s.log.Debug("eventwire: protocol error", "conn", e.sid, "remote", e.req.RemoteAddr, "err", err)
	e.closeBroken(closeProtocolError, "protocol error")
}

// closeBroken closes a connection that broke the protocol and counts it in
// Stats.ProtocolErrors; only the call that starts the close counts, so a
// connection counts once however many bad frames it sent.
func (e *engine) closeBroken(code int, text string) {
	if e.closeWith(code, text, reasonParseError, nil) {
		e.s.protocolErrors.Add(1)
	}
}

// onPacket routes one Socket.IO packet to the socket of its namespace.
func (s *Server) onPacket(e *engine, msg []byte) {
	p, err := protocol.Decode(msg)
	if err != nil {
		e.protocolError(err)
		return
	}
	if e.closing() {
		return
	}
	switch p.Type {
	case protocol.Connect:
		s.onConnectPacket(e, p)
	case protocol.Disconnect:
		if c := e.socket(p.Namespace); c != nil {
			c.disconnect(reasonClientDisconnect, false)
		}
	case protocol.Event:
		s.onEvent(e, p)
	case protocol.Ack:
		if c := e.socket(p.Namespace); c != nil {
			c.s.onAck(c, p)
		}
	case protocol.BinaryEvent, protocol.BinaryAck:
		s.onBinaryHeader(e, p)
	default:
		e.protocolError(fmt.Errorf("unexpected %v from a client", p.Type))
	}
}

// onConnectPacket answers CONNECT: an unknown namespace gets
// CONNECT_ERROR "Invalid namespace" (the WebSocket stays); a known one's
// auth payload is checked (Authorize) before its socket connects.
func (s *Server) onConnectPacket(e *engine, p protocol.Packet) {
	ns := s.Namespace(p.Namespace)
	if ns == nil {
		_ = e.send(textPacket(protocol.Append(nil, protocol.Packet{
			Type: protocol.ConnectError, Namespace: p.Namespace,
			Data: []byte(`{"message":"Invalid namespace"}`),
		})))
		return
	}
	c := newConn(ns, e)
	switch closing, dup := e.addSocket(c); {
	case closing:
		return
	case dup:
		e.protocolError(fmt.Errorf("second CONNECT to %q", p.Namespace))
		return
	}
	if err := ns.authorizeConnect(c, p.Data); err != nil {
		c.refuseConnect(err)
		return
	}
	if c.markConnected() != stateOpen {
		return // ending: the connect timeout or a shutdown won the race
	}
	e.connected()
	sid, _ := json.Marshal(struct {
		SID string `json:"sid"`
	}{c.id})
	_ = e.send(textPacket(protocol.Append(nil, protocol.Packet{Type: protocol.Connect, Namespace: ns.name, Data: sid})))
	// Added after the reply is queued, so no broadcast can overtake it.
	ns.addSocket(c)
	if err := ns.runOnConnect(c); err != nil {
		s.log.Error("eventwire: OnConnect failed", "conn", c.id, "remote", c.RemoteAddr(), "namespace", ns.name, "err", err)
		c.disconnect(reasonServerDisconnect, true)
	}
}

// addSocket makes c a broadcast recipient, and a member of the rooms it
// joined before, unless it started closing.
func (s *Server) addSocket(c *Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateConnected {
		s.mu.Lock()
		s.addSocketLocked(c)
		s.mu.Unlock()
	}
}

func (s *Server) runOnConnect(c *Conn) (err error) {
	fn, _ := s.hooks()
	if fn == nil {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn(c.ctx, c)
}

// onEvent hands an EVENT to the socket of its namespace; an EVENT for a
// namespace the client has not connected breaks the protocol.
func (s *Server) onEvent(e *engine, p protocol.Packet) {
	c := e.socket(p.Namespace)
	if c == nil {
		e.protocolError(fmt.Errorf("EVENT for namespace %q, which is not connected", p.Namespace))
		return
	}
	switch c.currentState() {
	case stateOpen:
		e.protocolError(errors.New("EVENT before CONNECT"))
		return
	case stateClosing, stateClosed:
		return
	}
	name, args, err := protocol.SplitEvent(p.Data)
	if err != nil {
		e.protocolError(err)
		return
	}
	ns := c.s
	if e.limiter != nil && !e.limiter.allow(name) {
		ns.rateLimited(e, c, p, name)
		return
	}
	data, werr := ns.runEvent(c, InboundEvent{Name: name, Args: args, HasAck: p.HasID})
	ns.reply(c, p, name, data, werr)
}

// wireError picks what the client learns: an *Error as it is, anything else
// as "internal error" with the cause logged, never sent.
func (s *Server) wireError(c *Conn, name string, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		s.log.Debug("eventwire: event refused", "event", name, "conn", c.id, "remote", c.RemoteAddr(), "code", e.Code)
		return e
	}
	s.log.Error("eventwire: handler failed", "event", name, "conn", c.id, "remote", c.RemoteAddr(), "err", err)
	return errInternal()
}

// reply answers an inbound event: through its ack when it has an id (data
// is the handler's encoded reply, nil for null), else failures only, as
// ErrorEvent.
func (s *Server) reply(c *Conn, p protocol.Packet, name string, data []byte, e *Error) {
	var frame []byte
	switch {
	case p.HasID && e == nil:
		out, err := s.ackPacket(s.events[name], p.ID, data)
		if err == nil {
			_ = c.write(out)
			return
		}
		e = s.wireError(c, name, err)
		fallthrough
	case p.HasID:
		body, _ := json.Marshal(struct {
			Error *Error `json:"error"`
		}{e})
		frame = protocol.AppendAck(nil, s.name, p.ID, body)
	case e == nil:
		return
	default:
		body, _ := json.Marshal(struct {
			Event string `json:"event"`
			*Error
		}{name, e})
		frame = protocol.AppendEvent(nil, s.name, false, 0, ErrorEvent, body)
	}
	// Through the socket, not the engine: a handler that ended its own
	// socket gets no reply after the 41 that ended it.
	_ = c.write(textPacket(frame))
}

// dataEnvelope wraps an encoded reply as the one ack argument {"data":...}.
func dataEnvelope(data []byte) []byte {
	if data == nil {
		return []byte(`{"data":null}`)
	}
	out := make([]byte, 0, len(data)+len(`{"data":}`))
	out = append(out, `{"data":`...)
	out = append(out, data...)
	return append(out, '}')
}
