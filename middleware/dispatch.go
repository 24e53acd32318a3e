package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
)

// onPacket routes one Socket.IO packet (a message packet's payload) to
// the socket of its namespace. It runs on the session's read loop.
func (c *core) onPacket(e *session, msg []byte) {
	if e.Data.binary != nil {
		e.ProtocolError(errors.New("text frame before the attachments of a binary packet"))
		return
	}
	p, err := protocol.Decode(msg)
	if err != nil {
		e.ProtocolError(err)
		return
	}
	if e.Closing() {
		return
	}
	switch p.Type {
	case protocol.Connect:
		c.onConnectPacket(e, p)
	case protocol.Disconnect:
		conn := e.Data.socket(p.Namespace)
		if conn == nil || conn.currentState() == stateOpen {
			// socket.io closes the connection on a packet in an invalid state.
			e.ProtocolError(fmt.Errorf("DISCONNECT for namespace %q, which is not connected", p.Namespace))
			return
		}
		conn.leave(c.cfg.ConnectTimeout)
	case protocol.Event:
		c.onEvent(e, p)
	case protocol.Ack:
		c.onAck(e, p)
	case protocol.BinaryEvent, protocol.BinaryAck:
		c.onBinaryHeader(e, p)
	default:
		e.ProtocolError(fmt.Errorf("unexpected %v from a client", p.Type))
	}
}

// onConnectPacket answers CONNECT: an unknown namespace gets
// CONNECT_ERROR "Invalid namespace" (the WebSocket stays); a known one's
// auth payload is checked (Authorize) before its socket connects.
func (s *core) onConnectPacket(e *session, p protocol.Packet) {
	ns := s.namespaces[p.Namespace]
	if ns == nil {
		_ = e.Send(engineio.Text(protocol.Append(nil, protocol.Packet{
			Type: protocol.ConnectError, Namespace: p.Namespace,
			Data: []byte(`{"message":"Invalid namespace"}`),
		})))
		return
	}
	c := newConn(ns, e)
	switch closing, dup := e.Data.addSocket(c); {
	case closing:
		return
	case dup:
		e.ProtocolError(fmt.Errorf("second CONNECT to %q", p.Namespace))
		return
	}
	auth, resume := p.Data, ns.resumeRequest(p.Data)
	if resume.pid != "" || resume.stripped {
		auth = resume.auth
	}
	c.connectAt = time.Now()
	if auth != nil {
		c.auth = append([]byte(nil), auth...) // p.Data aliases the frame
	}
	if ns.rec != nil && ns.rec.shared != nil {
		c.owner = engineio.NewID()
	}
	saved := ns.claimSession(c, resume)
	if err := ns.authorizeConnect(c, auth); err != nil {
		c.refuseConnect(err)
		return
	}
	if c.markConnected() != stateOpen {
		return // ending: the connect timeout or a shutdown won the race
	}
	e.Data.connected()
	if ns.rec != nil {
		ns.registerRecoverable(c, saved, resume)
	} else {
		_ = e.Send(engineio.Text(connectReply(c)))
		// Added after the reply is queued, so no broadcast can overtake it.
		ns.addSocket(c)
	}
	if err := ns.runOnConnect(c); err != nil {
		s.log.Error("eventwire: OnConnect failed", append(c.logAttrs(), "err", err)...)
		c.disconnect(reasonServerDisconnect, true)
	}
}

// connectReply is the CONNECT reply `40{"sid":…}`, with the socket's pid
// when recovery is on.
func connectReply(c *Conn) []byte {
	data, _ := json.Marshal(struct {
		SID string `json:"sid"`
		PID string `json:"pid,omitempty"`
	}{c.id, c.pid})
	return protocol.Append(nil, protocol.Packet{Type: protocol.Connect, Namespace: c.s.name, Data: data})
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

func (s *Server) runOnConnect(c *Conn) error {
	fn, _ := s.hooks()
	if fn == nil {
		return nil
	}
	return contained(func() error { return fn(c.ctx, c) })
}

// onEvent hands an EVENT to the socket of its namespace; an EVENT for a
// namespace the client has not connected breaks the protocol.
func (s *core) onEvent(e *session, p protocol.Packet) { s.dispatchEvent(e, p, nil, nil) }

// dispatchEvent is onEvent; for a binary packet, raw is its payload with
// the placeholders and atts its attachments (put in place in p.Data), which
// an untyped handler gets as they came.
func (s *core) dispatchEvent(e *session, p protocol.Packet, raw []byte, atts [][]byte) {
	c := e.Data.socket(p.Namespace)
	if c == nil {
		e.ProtocolError(fmt.Errorf("EVENT for namespace %q, which is not connected", p.Namespace))
		return
	}
	switch c.currentState() {
	case stateOpen:
		e.ProtocolError(errors.New("EVENT before CONNECT"))
		return
	case stateClosing, stateClosed:
		return
	}
	name, args, err := protocol.SplitEvent(p.Data)
	if err != nil {
		e.ProtocolError(err)
		return
	}
	ns := c.s
	if l := e.Data.limiter; l != nil && !l.allow(name) {
		ns.rateLimited(c, p, name)
		return
	}
	ev := InboundEvent{Name: name, Args: args, HasAck: p.HasID}
	if ns.events[name] == nil && ns.untypedHandler(name) != nil {
		u := &untypedCall{id: p.ID, atts: atts}
		if raw != nil {
			_, u.args, _ = protocol.SplitEvent(raw) // it split once with the attachments in place
		}
		ev.untyped = u
	}
	data, werr := ns.runEvent(c, ev)
	if u := ev.untyped; u != nil && (werr == nil || u.replied()) {
		return // an untyped handler acks by itself, if it will
	}
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
		s.log.Debug("eventwire: event refused", append(append([]any{"event", name}, c.logAttrs()...), "code", e.Code)...)
		return e
	}
	s.log.Error("eventwire: handler failed", append(append([]any{"event", name}, c.logAttrs()...), "err", err)...)
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
	_ = c.write(engineio.Text(frame))
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
