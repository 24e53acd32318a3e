package cluster

import (
	"context"
	"errors"
	"fmt"
)

// LogBroker is a Broker that also keeps ordered logs: the AppendLog of
// middleware.RecoveryAdapter (see there). With it, a Node carries the
// packets connection state recovery logs: Append queues one, the drain
// goroutine appends it to its namespace's log in the broker, and every
// node, this one included, delivers it when the broker hands the entry
// back (DecodeLogged reads it), so all deliver in the log's order.
type LogBroker interface {
	Broker
	AppendLog(ctx context.Context, stream string, msgs [][]byte) error
}

// LogStream is the name of the recovery log of namespace ns.
func LogStream(prefix, ns string) string { return prefix + "#log#" + ns }

// Append queues a packet for the recovery log of ns; text is its frame
// without the closing ']' (each node adds the offset and the bracket). It
// fails, as Broadcast does, when the broker is failing or the queue is
// full: the caller delivers the packet itself then. A packet lost after it
// was queued is handed to Local.DeliverUnlogged.
func (n *Node) Append(ns string, t Target, text []byte, atts [][]byte) error {
	if _, ok := n.b.(LogBroker); !ok {
		return errors.New("eventwire: cluster: the adapter keeps no log")
	}
	r := recordFor(kindLogged, ns, t, nil, text, atts)
	if n.failing.Load() {
		n.noteFailed(1, ErrBrokerFailing)
		return ErrBrokerFailing
	}
	if !n.enqueue(outbound{channel: LogStream(n.opts.Prefix, ns), rec: appendRecord(nil, r), counted: true, logged: true}) {
		n.noteFailed(1, ErrQueueFull)
		return fmt.Errorf("%w (%d messages, %d bytes at most)", ErrQueueFull, n.opts.QueueSize, n.opts.QueueBytes)
	}
	return nil
}

// appendLogged appends records to the log of stream, one entry (an
// envelope of one record) each.
func (n *Node) appendLogged(ctx context.Context, stream string, records [][]byte) error {
	msgs := make([][]byte, len(records))
	for i, r := range records {
		msgs[i] = appendEnvelope(nil, n.id, [][]byte{r})
	}
	return n.b.(LogBroker).AppendLog(ctx, stream, msgs)
}

// unlogged hands logged records that did not reach the broker to this
// node's Local, which delivers them without an offset.
func (n *Node) unlogged(records [][]byte) {
	for _, rec := range records {
		d := decoder{b: rec}
		r := d.record()
		if d.err == nil && r.kind == kindLogged && n.local.HasNamespace(r.ns) {
			n.local.DeliverUnlogged(r.ns, r.target(), r.text, r.atts)
		}
	}
}

// DecodeLogged reads an entry of a recovery log: the namespace, target and
// packet (its frame without the closing ']') of the record in msg.
func DecodeLogged(msg []byte) (ns string, t Target, text []byte, atts [][]byte, err error) {
	_, records, err := decodeEnvelope(msg)
	switch {
	case err != nil:
		return "", Target{}, nil, nil, err
	case len(records) != 1 || records[0].kind != kindLogged:
		return "", Target{}, nil, nil, fmt.Errorf("%w: not a log entry", errEnvelope)
	}
	r := &records[0]
	return r.ns, r.target(), r.text, r.atts, nil
}
