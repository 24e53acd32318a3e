package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/protocol"
)

// onMessage handles one inbound text frame. melody calls it from the
// connection's read loop, so frames of one connection are handled in order.
func (s *Server) onMessage(sess *melody.Session, msg []byte) {
	c := s.lookup(sess)
	if c == nil {
		return
	}
	if len(msg) == 0 {
		c.protocolError(errors.New("empty frame"))
		return
	}
	switch msg[0] {
	case protocol.Message:
		s.onPacket(c, msg[1:])
	case protocol.Pong:
		c.onPong()
	case protocol.Ping: // only probes; answer in kind
		_ = sess.Write(append([]byte{protocol.Pong}, msg[1:]...))
	case protocol.Close:
		c.closeWith(closeNormal, "", reasonTransportClose, nil)
	case protocol.Noop:
	default:
		c.protocolError(fmt.Errorf("unexpected Engine.IO packet type %q", msg[0]))
	}
}

// onBinary refuses binary frames: binary attachments are not supported yet.
func (s *Server) onBinary(sess *melody.Session, _ []byte) {
	if c := s.lookup(sess); c != nil {
		c.closeWith(closeUnsupportedData, "binary frames are not supported", reasonParseError, nil)
	}
}

// protocolError closes a connection whose frame breaks the protocol (1002).
func (c *Conn) protocolError(err error) {
	c.s.log.Debug("eventwire: protocol error", "conn", c.id, "remote", c.RemoteAddr(), "err", err)
	c.closeWith(closeProtocolError, "protocol error", reasonParseError, nil)
}

func (s *Server) onPacket(c *Conn, msg []byte) {
	p, err := protocol.Decode(msg)
	if err != nil {
		c.protocolError(err)
		return
	}
	switch p.Type {
	case protocol.Connect:
		s.onConnectPacket(c, p)
	case protocol.Disconnect:
		if p.Namespace == "/" {
			c.closeWith(closeNormal, "", reasonClientDisconnect, nil)
		}
	case protocol.Event:
		s.onEvent(c, p)
	case protocol.Ack:
		s.onAck(c, p)
	case protocol.BinaryEvent, protocol.BinaryAck:
		c.closeWith(closeUnsupportedData, "binary events are not supported", reasonParseError, nil)
	default:
		c.protocolError(fmt.Errorf("unexpected %v from a client", p.Type))
	}
}

// onConnectPacket answers CONNECT: only namespace "/" exists. The auth
// payload is checked (Authorize) before the socket connects.
func (s *Server) onConnectPacket(c *Conn, p protocol.Packet) {
	if p.Namespace != "/" {
		_ = c.sess.Write(protocol.Append(nil, protocol.Packet{
			Type: protocol.ConnectError, Namespace: p.Namespace,
			Data: []byte(`{"message":"Invalid namespace"}`),
		}))
		return
	}
	switch c.currentState() {
	case stateOpen:
	case stateConnected:
		c.protocolError(errors.New("second CONNECT"))
		return
	default: // closing
		return
	}
	if e := s.authorizeConnect(c, p.Data); e != nil {
		c.refuseConnect(e)
		return
	}
	if c.markConnected() != stateOpen {
		return // closing: the connect timeout or a shutdown won the race
	}
	sid, _ := json.Marshal(struct {
		SID string `json:"sid"`
	}{c.id})
	_ = c.sess.Write(protocol.Append(nil, protocol.Packet{Type: protocol.Connect, Namespace: "/", Data: sid}))
	// Added after the reply is queued, so no broadcast can overtake it.
	s.addSocket(c)
	if err := s.runOnConnect(c); err != nil {
		s.log.Error("eventwire: OnConnect failed", "conn", c.id, "remote", c.RemoteAddr(), "err", err)
		c.closeWith(closeNormal, "", reasonServerDisconnect, []byte("41"))
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

func (s *Server) onEvent(c *Conn, p protocol.Packet) {
	switch c.currentState() {
	case stateOpen:
		c.protocolError(errors.New("EVENT before CONNECT"))
		return
	case stateClosing, stateClosed:
		return
	}
	if p.Namespace != "/" {
		c.protocolError(fmt.Errorf("EVENT for namespace %q, which is not connected", p.Namespace))
		return
	}
	name, args, err := protocol.SplitEvent(p.Data)
	if err != nil {
		c.protocolError(err)
		return
	}
	data, e := s.runEvent(c, InboundEvent{Name: name, Args: args, HasAck: p.HasID})
	s.reply(c, p, name, data, e)
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
		frame = protocol.AppendAck(nil, "/", p.ID, dataEnvelope(data))
	case p.HasID:
		body, _ := json.Marshal(struct {
			Error *Error `json:"error"`
		}{e})
		frame = protocol.AppendAck(nil, "/", p.ID, body)
	case e == nil:
		return
	default:
		body, _ := json.Marshal(struct {
			Event string `json:"event"`
			*Error
		}{name, e})
		frame = protocol.AppendEvent(nil, "/", false, 0, ErrorEvent, body)
	}
	_ = c.sess.Write(frame)
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
