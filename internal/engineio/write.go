package engineio

import "errors"

// ErrSlowConsumer: a frame was not queued because the session's outbound
// buffer was full; unless Config.DropSlow the session is closing (1013).
var ErrSlowConsumer = errors.New("eventwire: outbound buffer full (slow consumer)")

// Packet is what Send queues as one: a text frame and, for a Socket.IO
// BINARY_EVENT or BINARY_ACK, the attachments that follow it as binary
// frames. Its slices may be shared by every recipient and are never
// written to.
type Packet struct {
	Text []byte
	Atts [][]byte
}

// Text is the Packet of one text frame.
func Text(frame []byte) Packet { return Packet{Text: frame} }

// Send queues p's frames on the WebSocket with nothing in between: every
// write of the session goes through here, so a binary packet's
// attachments always follow its header. A frame melody could not queue
// (full buffer) makes the session a slow consumer: it is closed (1013)
// unless Config.DropSlow, and also then when a binary packet lost some of
// its frames but not all, which would desynchronise the client.
func (e *Session[D]) Send(p Packet) error {
	e.wmu.Lock()
	before := e.dropped.Load()
	err := e.ws.Write(p.Text)
	for _, a := range p.Atts {
		if err == nil {
			err = e.ws.WriteBinary(a)
		}
	}
	lost := e.dropped.Load() - before
	e.wmu.Unlock()
	switch {
	case err != nil:
		return err
	case lost == 0:
		return nil
	case !e.srv.cfg.DropSlow || lost < uint64(1+len(p.Atts)):
		e.slowConsumer()
	}
	return ErrSlowConsumer
}

// slowConsumer closes a session that let its outbound buffer fill. When
// the close frame does not fit the full buffer either, the TCP connection
// is cut at once: waiting for the kill timer would leave the client with a
// silent connection for up to WriteTimeout.
func (e *Session[D]) slowConsumer() {
	before := e.dropped.Load()
	started := e.Close(CloseTryAgainLater, "slow consumer", ReasonSlowConsumer, nil)
	if e.dropped.Load() != before {
		e.kill()
	}
	if started {
		e.srv.slowDisconnects.Add(1)
		e.srv.log.Warn("eventwire: slow consumer disconnected", "conn", e.id, "remote", e.req.RemoteAddr,
			"outbound_buffer", e.srv.cfg.OutboundBuffer)
	}
}

// noteDrop counts a frame melody dropped because the session's buffer was
// full (melody's Write still returns nil). Logging at powers of two keeps
// a stuck consumer from flooding the log while staying visible.
func (s *Server[D]) noteDrop(e *Session[D]) {
	total := s.dropped.Add(1)
	if e == nil {
		return
	}
	n := e.dropped.Add(1)
	if n&(n-1) == 0 {
		s.log.Warn("eventwire: outbound buffer full, frame dropped", "conn", e.id, "remote", e.req.RemoteAddr,
			"dropped", n, "dropped_total", total, "outbound_buffer", s.cfg.OutboundBuffer)
	}
}
