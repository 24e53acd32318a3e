package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
	"github.com/eventwire/eventwire/internal/recovery"
)

// Operator emits to a set of connected sockets, chosen as socket.io's
// broadcast operators choose them: Server.Broadcast (all), Conn.Broadcast
// (all but one), Server.To/In (the members of rooms), Server.Except (all
// but the members of rooms), Conn.To (the members of rooms but one), and
// any chain of To/In/Except on those. It is an immutable value: each method
// returns a new Operator and leaves its receiver as it was, so a partly
// built Operator may be kept and reused.
//
// In a cluster (WithAdapter) an Operator reaches the sockets it selects
// on every node: rooms are evaluated on the node holding each socket.
type Operator struct {
	s        *Server
	exceptID string // the socket id never a recipient (the sender), or ""
	except   *Conn  // that socket when it is on this node: compared without reading ids
	// successor is the socket that recovered except's session, if one has
	// (recovery): never a recipient either. Set during an emit.
	successor *Conn
	to        []string // with targeted: the rooms whose members receive
	without   []string // rooms whose members never receive
	targeted  bool     // To/In was called: the union of to, not everyone
	local     bool     // Local: this node's sockets only
}

// To narrows the recipients to the sockets in any of rooms; rooms add to
// those of an earlier To. An Operator whose To named no room at all
// reaches no one (socket.io would reach everyone; a room list that is
// empty by accident must not become a broadcast).
func (o Operator) To(rooms ...string) Operator {
	o.to = append(slices.Clip(o.to), rooms...) // Clip: never write into a shared array
	o.targeted = true
	return o
}

// In is To.
func (o Operator) In(rooms ...string) Operator { return o.To(rooms...) }

// Except leaves out the sockets in any of rooms, whatever To selected.
func (o Operator) Except(rooms ...string) Operator {
	o.without = append(slices.Clip(o.without), rooms...)
	return o
}

// Emit encodes the event frame once and queues the same bytes to every
// recipient, each once even when it is in several of the rooms; a recipient
// that is closing is skipped. The recipients are those connected when Emit
// is called. It fails if the schema does not let the server send event, the
// arguments do not encode, or the server is closed.
//
// In a cluster, Emit delivers on this node first, then queues the encoded
// packet once for the other nodes, which deliver it to their own
// recipients; it never waits for the broker. If the packet cannot be
// queued (the broker is failing, or the queue is full) Emit returns an
// error wrapping ErrClusterPublish: this node's recipients got it all the
// same.
func (o Operator) Emit(event string, args ...any) error {
	return o.emit(func(s *Server) (preparedEvent, error) { return s.prepareTyped(event, args) })
}

// emit prepares an event with prepare and sends it to o's sockets: on this
// node, and to the others through the cluster (with recovery on, through
// its log).
func (o Operator) emit(prepare func(*Server) (preparedEvent, error)) error {
	if o.s == nil {
		return errors.New("eventwire: emit on a zero Operator")
	}
	ev, err := prepare(o.s)
	if err != nil {
		return err
	}
	o.s.observeEmitted(ev.name)
	if o.local && o.s.rec != nil && o.s.rec.shared != nil {
		// Not for the cluster's log: delivered here at once, without an offset.
		o.successor = o.s.rec.successor(o.except)
		return o.s.deliver(o, eventPacketOf(o.s.name, ev.name, false, 0, ev.args, ev.atts))
	}
	out, err := o.s.sendEvent(ev, o.logTarget(), func(p engineio.Packet) error {
		// Under the emit lock with recovery on: no socket registers meanwhile.
		o.successor = o.s.rec.successor(o.except)
		return o.s.deliver(o, p)
	})
	if err != nil || o.s.rec != nil && o.s.rec.shared != nil {
		return err // in a cluster with recovery, the log carries it to the other nodes
	}
	return o.publishPacket(out)
}

// logTarget is whom o reaches, as the recovery log keeps it.
func (o Operator) logTarget() recovery.Target {
	return recovery.Target{ExceptID: o.exceptID, Targeted: o.targeted, To: o.to, Except: o.without}
}

// Broadcast returns the operator that emits to every connected socket.
func (s *Server) Broadcast() Operator { return Operator{s: s} }

// To returns the operator that emits to the sockets in any of rooms.
func (s *Server) To(rooms ...string) Operator { return Operator{s: s}.To(rooms...) }

// In is To.
func (s *Server) In(rooms ...string) Operator { return s.To(rooms...) }

// Except returns the operator that emits to every connected socket but
// those in any of rooms.
func (s *Server) Except(rooms ...string) Operator { return Operator{s: s}.Except(rooms...) }

// Broadcast returns the operator that emits to every connected socket but c.
func (c *Conn) Broadcast() Operator { return Operator{s: c.s, exceptID: c.id, except: c} }

// To returns the operator that emits to the sockets in any of rooms but c
// (socket.io's socket.to), whether or not c is in them.
func (c *Conn) To(rooms ...string) Operator { return c.Broadcast().To(rooms...) }

// preparedEvent is an emit encoded once, ready for any recipients: its
// name, its arguments, and the attachments its bytes values moved to.
type preparedEvent struct {
	name       string
	args, atts [][]byte
}

// prepareTyped checks that the server may send event with these arguments
// and encodes them.
func (s *Server) prepareTyped(event string, args []any) (preparedEvent, error) {
	e, err := s.event(event, byServer)
	if err != nil {
		return preparedEvent{}, err
	}
	raw, err := encodeArgs(e, args)
	if err != nil {
		return preparedEvent{}, err
	}
	if err := s.checkOutbound(e, args, raw); err != nil {
		return preparedEvent{}, err
	}
	moved, atts, err := e.moveBytes(raw)
	return preparedEvent{name: e.Name, args: moved, atts: atts}, err
}

// sendEvent hands send the packet of ev; with recovery on it carries its
// offset and is logged for t (see recovery.go).
func (s *Server) sendEvent(ev preparedEvent, t recovery.Target, send func(engineio.Packet) error) (engineio.Packet, error) {
	if s.rec != nil {
		return s.rec.emitLogged(s, ev.name, ev.args, ev.atts, t, send)
	}
	p := eventPacketOf(s.name, ev.name, false, 0, ev.args, ev.atts)
	return p, send(p)
}

// encodeArgs checks the number of arguments against the event and encodes
// them.
func encodeArgs(e *eventEntry, args []any) ([][]byte, error) {
	if e.Args != nil {
		low, high := argArity(e.Args)
		if len(args) < low || len(args) > high {
			return nil, fmt.Errorf("eventwire: emit %q: takes %d to %d argument(s), got %d", e.Name, low, high, len(args))
		}
		return marshalArgs(e.Name, args)
	}
	want := 0
	if e.Payload != nil {
		want = 1
	}
	if len(args) != want {
		return nil, fmt.Errorf("eventwire: emit %q: takes %d argument(s), got %d", e.Name, want, len(args))
	}
	return marshalArgs(e.Name, args)
}

// encodeEvent marshals each argument once and builds `42["event",args...]`.
func encodeEvent(event string, args []any) ([]byte, error) {
	raw, err := marshalArgs(event, args)
	if err != nil {
		return nil, err
	}
	return eventFrame("/", event, false, 0, raw), nil
}

// eventFrame builds `42[<ns>,][<id>]["event",args...]` in one allocation.
func eventFrame(namespace, event string, hasID bool, id uint64, raw [][]byte) []byte {
	n := len(namespace) + len(event) + 32 // header, id, quotes, brackets, commas
	for _, r := range raw {
		n += len(r) + 1
	}
	return protocol.AppendEvent(make([]byte, 0, n), namespace, hasID, id, event, raw...)
}

// marshalArgs encodes each argument into one shared buffer. HTML
// characters are not escaped: the frame is JSON read by JSON.parse, never
// HTML, and escaping would grow chat text such as "<b>" sixfold.
func marshalArgs(event string, args []any) ([][]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	ends := make([]int, len(args))
	for i, a := range args {
		if err := enc.Encode(a); err != nil {
			return nil, fmt.Errorf("eventwire: emit %q: argument %d: %w", event, i, err)
		}
		ends[i] = buf.Len() - 1 // Encode ends each value with a newline
	}
	all := buf.Bytes()
	raw := make([][]byte, len(args))
	start := 0
	for i, end := range ends {
		raw[i] = all[start:end]
		start = end + 1
	}
	return raw, nil
}
