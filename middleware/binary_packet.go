package middleware

import (
	"errors"
	"fmt"

	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/protocol"
)

// binaryPacket is a BINARY_EVENT or BINARY_ACK whose attachments are
// still arriving. Only melody's read loop of the engine touches it, so it
// needs no lock.
type binaryPacket struct {
	p     protocol.Packet
	atts  [][]byte
	total int64 // header and attachment bytes so far
}

// onBinaryHeader starts collecting the attachments of a 45/46 packet.
func (s *Server) onBinaryHeader(e *engine, p protocol.Packet) {
	p.Data = append([]byte(nil), p.Data...) // p.Data aliases melody's frame
	e.binary = &binaryPacket{p: p, atts: make([][]byte, 0, p.Attachments), total: int64(len(p.Data))}
	if p.Attachments == 0 {
		s.completeBinary(e)
	}
}

// onBinary takes one binary frame: the next attachment of the packet being
// reassembled. A binary frame nobody announced breaks the protocol.
func (s *Server) onBinary(sess *melody.Session, msg []byte) {
	e := s.lookup(sess)
	if e == nil || e.closing() {
		return
	}
	b := e.binary
	if b == nil {
		e.protocolError(errors.New("binary frame without a binary packet"))
		return
	}
	b.total += int64(len(msg))
	switch {
	case int64(len(msg)) > s.cfg.MaxAttachmentSize:
		e.tooBig(fmt.Errorf("attachment of %d bytes exceeds max_attachment_size", len(msg)))
		return
	case b.total > s.cfg.MaxPayload:
		e.tooBig(fmt.Errorf("binary packet of %d bytes exceeds max_payload", b.total))
		return
	}
	b.atts = append(b.atts, append([]byte(nil), msg...))
	if len(b.atts) == b.p.Attachments {
		shallow(func() { s.completeBinary(e) })
	}
}

// completeBinary puts the attachments in place of their placeholders, as
// base64 strings, and handles the packet as the EVENT or ACK it carries.
func (s *Server) completeBinary(e *engine) {
	b := e.binary
	e.binary = nil
	data, err := protocol.ReplacePlaceholders(b.p.Data, b.atts)
	if err != nil {
		e.protocolError(err)
		return
	}
	p := b.p
	p.Data, p.Attachments = data, 0
	if p.Type == protocol.BinaryEvent {
		p.Type = protocol.Event
		s.onEvent(e, p)
		return
	}
	p.Type = protocol.Ack
	if c := e.socket(p.Namespace); c != nil {
		c.s.onAck(c, p)
	}
}

// tooBig closes a connection whose binary packet exceeds the limits (1009).
func (e *engine) tooBig(err error) {
	e.s.log.Debug("eventwire: binary packet too big", "conn", e.sid, "remote", e.req.RemoteAddr, "err", err)
	e.closeBroken(closeMessageTooBig, "message too big")
}
