package middleware

import (
	"errors"
	"fmt"

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
func (s *core) onBinaryHeader(e *session, p protocol.Packet) {
	p.Data = append([]byte(nil), p.Data...) // p.Data aliases melody's frame
	e.Data.binary = &binaryPacket{p: p, atts: make([][]byte, 0, p.Attachments), total: int64(len(p.Data))}
	if p.Attachments == 0 {
		s.completeBinary(e)
	}
}

// onAttachment takes one binary frame: the next attachment of the packet
// being reassembled. A binary frame nobody announced breaks the protocol.
func (s *core) onAttachment(e *session, msg []byte) {
	b := e.Data.binary
	if b == nil {
		e.ProtocolError(errors.New("binary frame without a binary packet"))
		return
	}
	b.total += int64(len(msg))
	switch {
	case int64(len(msg)) > s.cfg.MaxAttachmentSize:
		e.TooBig(fmt.Errorf("attachment of %d bytes exceeds max_attachment_size", len(msg)))
		return
	case b.total > s.cfg.MaxPayload:
		e.TooBig(fmt.Errorf("binary packet of %d bytes exceeds max_payload", b.total))
		return
	}
	b.atts = append(b.atts, append([]byte(nil), msg...))
	if len(b.atts) == b.p.Attachments {
		s.completeBinary(e)
	}
}

// completeBinary puts the attachments in place of their placeholders, as
// base64 strings, and handles the packet as the EVENT or ACK it carries.
func (s *core) completeBinary(e *session) {
	b := e.Data.binary
	e.Data.binary = nil
	data, err := protocol.ReplacePlaceholders(b.p.Data, b.atts)
	if err != nil {
		e.ProtocolError(err)
		return
	}
	p := b.p
	p.Data, p.Attachments = data, 0
	if p.Type == protocol.BinaryEvent {
		p.Type = protocol.Event
		s.dispatchEvent(e, p, b.p.Data, b.atts)
		return
	}
	p.Type = protocol.Ack
	s.onAck(e, p)
}
