package engineio

import (
	"errors"
	"math/bits"
	"time"

	"github.com/olahol/melody"
)

// ErrSlowConsumer: a packet was not queued because the session is a slow
// consumer; unless Config.DropSlow the session is closing (1013).
var ErrSlowConsumer = errors.New("eventwire: outbound buffer full (slow consumer)")

// Packet is what Send queues as one: a text frame and, for a Socket.IO
// BINARY_EVENT or BINARY_ACK, the attachments that follow it as binary
// frames. Its slices may be shared by every recipient and are never
// written to.
type Packet struct {
	Text  []byte
	Atts  [][]byte
	close bool // Text is a close frame's payload (Session.Close)
}

// Text is the Packet of one text frame.
func Text(frame []byte) Packet { return Packet{Text: frame} }

func (p *Packet) frames() int { return 1 + len(p.Atts) }

func (p *Packet) size() int64 {
	n := int64(len(p.Text))
	for _, a := range p.Atts {
		n += int64(len(a))
	}
	return n
}

// The write queue. melody queues a bounded number of frames per session
// (Config.OutboundBuffer) and drops what does not fit, so a burst of small
// frames would make a healthy reader look slow. Frames melody refuses wait
// here instead, in order, in a backlog bounded by bytes
// (Config.OutboundBufferBytes); melody's sent callback hands the next one
// over as each frame goes out. A session is a slow consumer only when its
// backlog would outgrow that bound, or when the oldest packet in it has
// waited WriteTimeout. The backlog exists only while it holds something,
// and melody's sent callbacks cost one atomic load while no session has one.

// backlog holds the packets of a session that did not fit melody's queue.
type backlog struct {
	packets []waiting
	sent    int   // frames of packets[0] melody has taken already
	bytes   int64 // the bytes of packets
	stale   *time.Timer
}

type waiting struct {
	Packet
	since time.Time
}

// Send queues p's frames on the WebSocket with nothing in between: every
// write of the session goes through here, so a binary packet's
// attachments always follow its header, and packets go out in the order
// Send got them. It fails with ErrSlowConsumer when the session is a slow
// consumer (see backlog) and p was dropped, and with melody's error when
// the session has ended.
func (e *Session[D]) Send(p Packet) error { return e.send(p, false) }

// send is Send; force queues p whatever the bound (a close and its preface).
func (e *Session[D]) send(p Packet, force bool) error {
	e.wmu.Lock()
	sent := 0
	if e.backlog == nil {
		var err error
		if sent, err = e.handOver(&p, 0, p.frames()); err != nil || sent == p.frames() {
			e.wmu.Unlock()
			return err
		}
	}
	// A packet melody took part of goes on whole, or the client would read
	// a header without its attachments.
	if !force && sent == 0 && e.backlogBytesLocked()+p.size() > e.srv.cfg.OutboundBufferBytes {
		e.wmu.Unlock()
		e.srv.noteDropped(e, uint64(p.frames()), "outbound_buffer_bytes exceeded")
		if !e.srv.cfg.DropSlow {
			e.slowConsumer("outbound_buffer_bytes exceeded")
		}
		return ErrSlowConsumer
	}
	e.queueLocked(p, sent)
	e.wmu.Unlock()
	return nil
}

func (e *Session[D]) backlogBytesLocked() int64 {
	if e.backlog == nil {
		return 0
	}
	return e.backlog.bytes
}

// queueLocked adds p, of which melody has sent frames, to the backlog,
// which starts with it if there was none.
func (e *Session[D]) queueLocked(p Packet, sent int) {
	w := waiting{Packet: p, since: time.Now()}
	if b := e.backlog; b != nil {
		b.packets = append(b.packets, w)
		b.bytes += p.size()
		e.srv.notePeak(b.bytes)
		return
	}
	e.backlog = &backlog{
		packets: []waiting{w},
		sent:    sent,
		bytes:   p.size(),
		stale:   time.AfterFunc(e.srv.cfg.WriteTimeout, e.checkStale),
	}
	e.srv.backlogged.Add(1)
	e.srv.notePeak(p.size())
	// Frames melody wrote since it refused p were not followed by a drain:
	// their sent callbacks came before the count above. Fill the room they
	// left now; from here on every frame written hands over the next.
	e.fillLocked()
}

// fillLocked hands melody the backlog's frames until its queue refuses one.
func (e *Session[D]) fillLocked() {
	for b := e.backlog; b != nil; b = e.backlog {
		head := &b.packets[0]
		sent, err := e.handOver(&head.Packet, b.sent, head.frames())
		if b.sent = sent; err != nil || sent < head.frames() {
			return
		}
		e.popLocked()
	}
}

// popLocked removes the backlog's head, which melody has whole.
func (e *Session[D]) popLocked() {
	b := e.backlog
	b.bytes -= b.packets[0].size()
	b.packets[0] = waiting{}
	b.packets, b.sent = b.packets[1:], 0
	if len(b.packets) == 0 {
		e.endBacklogLocked()
	}
}

// handOver gives melody p's frames from the from-th up to the upto-th,
// until melody's queue refuses one; it returns how many of p's frames
// melody then has.
func (e *Session[D]) handOver(p *Packet, from, upto int) (int, error) {
	for i := from; i < upto; i++ {
		before := e.refused.Load()
		var err error
		switch {
		case p.close:
			err = e.ws.CloseWithMsg(p.Text)
		case i == 0:
			err = e.ws.Write(p.Text)
		default:
			err = e.ws.WriteBinary(p.Atts[i-1])
		}
		if err != nil {
			return i, err
		}
		if e.refused.Load() != before {
			return i, nil
		}
	}
	return upto, nil
}

// drain hands melody the next frame of the backlog: a frame went out, so
// melody's queue has room for one. (The frame melody was writing when the
// backlog started frees no room: that handover is refused, and the frame
// waits for the next.)
func (e *Session[D]) drain() {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	b := e.backlog
	if b == nil {
		return
	}
	head := &b.packets[0]
	sent, err := e.handOver(&head.Packet, b.sent, b.sent+1)
	if err != nil {
		return // the session ended; finish discards the backlog
	}
	if b.sent = sent; sent == head.frames() {
		e.popLocked()
	}
}

func (e *Session[D]) endBacklogLocked() {
	e.backlog.stale.Stop()
	e.backlog = nil
	e.srv.backlogged.Add(-1)
}

// checkStale runs WriteTimeout after the backlog started, and again until
// it is gone: a backlog whose oldest packet has waited WriteTimeout is a
// reader that is not keeping up.
func (e *Session[D]) checkStale() {
	e.wmu.Lock()
	b := e.backlog
	if b == nil {
		e.wmu.Unlock()
		return
	}
	if wait := e.srv.cfg.WriteTimeout - time.Since(b.packets[0].since); wait > 0 {
		b.stale.Reset(wait)
		e.wmu.Unlock()
		return
	}
	if e.srv.cfg.DropSlow {
		lost := e.dropWaitingLocked()
		e.wmu.Unlock()
		e.srv.noteDropped(e, lost, "write_timeout exceeded")
		return
	}
	e.wmu.Unlock()
	e.slowConsumer("write_timeout exceeded")
}

// dropWaitingLocked drops the packets of the backlog melody has none of
// (a packet half handed over must go on whole) and returns their frames.
func (e *Session[D]) dropWaitingLocked() uint64 {
	b := e.backlog
	keep := 0
	if b.sent > 0 {
		keep = 1
	}
	var lost uint64
	for i := keep; i < len(b.packets); i++ {
		lost += uint64(b.packets[i].frames())
		b.bytes -= b.packets[i].size()
		b.packets[i] = waiting{}
	}
	b.packets = b.packets[:keep]
	if keep == 0 {
		e.endBacklogLocked()
	} else {
		b.stale.Reset(e.srv.cfg.WriteTimeout)
	}
	return lost
}

// discardBacklog drops the whole backlog of a session that is ending, or
// being cut; it returns the frames dropped.
func (e *Session[D]) discardBacklog() uint64 {
	e.wmu.Lock()
	defer e.wmu.Unlock()
	b := e.backlog
	if b == nil {
		return 0
	}
	var lost uint64
	for _, p := range b.packets {
		lost += uint64(p.frames())
	}
	lost -= uint64(b.sent)
	e.endBacklogLocked()
	return lost
}

// slowConsumer closes a session that is not keeping up: what it has not
// taken yet is dropped, and its close frame goes out at once. When melody's
// queue cannot take even that, the TCP connection is cut at once: waiting
// for the kill timer would leave the client with a silent connection for
// up to WriteTimeout.
func (e *Session[D]) slowConsumer(why string) {
	lost := e.discardBacklog()
	e.srv.dropped.Add(lost)
	started := e.Close(CloseTryAgainLater, "slow consumer", ReasonSlowConsumer, nil)
	e.wmu.Lock()
	stuck := e.backlog != nil // the close frame itself is waiting
	e.wmu.Unlock()
	if stuck {
		e.kill()
	}
	if started {
		e.srv.slowDisconnects.Add(1)
		e.srv.log.Warn("eventwire: slow consumer disconnected", LogKeySession, e.id, "remote", e.req.RemoteAddr,
			"why", why, "frames_dropped", lost, "outbound_buffer_bytes", e.srv.cfg.OutboundBufferBytes,
			"write_timeout", e.srv.cfg.WriteTimeout)
	}
}

// notePeak records the largest backlog seen, for Stats.
func (s *Server[D]) notePeak(bytes int64) {
	for peak := s.peak.Load(); bytes > peak && !s.peak.CompareAndSwap(peak, bytes); peak = s.peak.Load() {
	}
}

// noteDropped counts frames a slow consumer did not get. Logging when the
// total crosses a power of two keeps a stuck consumer from flooding the
// log while staying visible.
func (s *Server[D]) noteDropped(e *Session[D], frames uint64, why string) {
	if frames == 0 {
		return
	}
	total := s.dropped.Add(frames)
	if bits.Len64(total) != bits.Len64(total-frames) {
		s.log.Warn("eventwire: outbound buffer full, frame dropped", LogKeySession, e.id, "remote", e.req.RemoteAddr,
			"why", why, "dropped", frames, "dropped_total", total, "outbound_buffer_bytes", s.cfg.OutboundBufferBytes)
	}
}

// onSent is melody's callback after a frame went out, on the session's
// write goroutine: while the session has a backlog, the room the frame
// left in melody's queue takes the next one.
func (s *Server[D]) onSent(ws *melody.Session, _ []byte) {
	if s.backlogged.Load() == 0 {
		return
	}
	if e := s.lookup(ws); e != nil {
		e.drain()
	}
}
