package cluster

import (
	"errors"
	"math/bits"
	"time"
)

var errUnknownNamespace = errors.New("unknown namespace")

// deliver is the Broker's callback: it decodes an envelope and carries out
// each record on this node. A node's own envelopes come back to it from the
// broker and are dropped: their emits were delivered here already.
func (n *Node) deliver(channel string, msg []byte) {
	origin, records, err := decodeEnvelope(msg)
	if err != nil {
		n.noteMalformed(channel, err)
		return
	}
	if origin == n.id {
		return
	}
	heard := false
	for i := range records {
		r := &records[i]
		if r.kind == kindBye {
			n.forget(origin)
			continue
		}
		if !heard {
			n.hear(origin)
			heard = true
		}
		n.handle(origin, r)
	}
}

// handle carries out one record from node origin.
func (n *Node) handle(origin string, r *record) {
	switch r.kind {
	case kindHeartbeat:
		return
	case kindAnswer:
		n.received.Add(1)
		n.answer(origin, r)
		return
	}
	if !n.local.HasNamespace(r.ns) {
		n.noteMalformed(r.ns, errUnknownNamespace)
		return
	}
	n.received.Add(1)
	t := r.target()
	switch r.kind {
	case kindBroadcast:
		n.local.Deliver(r.ns, t, r.text, r.atts)
	case kindJoin, kindLeave, kindDisconnect, kindTakeOver:
		n.local.Apply(r.ns, Op(r.kind), t, r.args)
	case kindAskLen:
		n.reply(origin, &record{kind: kindAnswer, id: r.id, ns: r.ns, num: uint64(n.local.Len(r.ns))})
	case kindAskMembers:
		var pairs []string
		if len(r.args) == 1 {
			for _, m := range n.local.RoomMembers(r.ns, r.args[0]) {
				pairs = append(pairs, m.ID, string(m.Data))
			}
		}
		n.reply(origin, &record{kind: kindAnswer, id: r.id, ns: r.ns, args: pairs})
	}
}

// reply answers a request of node origin on its channel. A lost answer only
// makes the asker wait until its context ends.
func (n *Node) reply(origin string, r *record) {
	_ = n.send(nodeChannel(n.opts.Prefix, origin), r)
}

// hear records that node is alive; a node heard of for the first time gets
// a heartbeat at once, so a new node learns its peers without waiting an
// interval.
func (n *Node) hear(node string) {
	n.mu.Lock()
	_, known := n.peers[node]
	n.peers[node] = time.Now()
	n.mu.Unlock()
	if !known {
		n.sendQuiet(n.all, &record{kind: kindHeartbeat})
	}
}

func (n *Node) forget(node string) {
	n.mu.Lock()
	delete(n.peers, node)
	n.mu.Unlock()
}

// noteMalformed logs, at each power of two, a message this node could not
// read (another application on the same prefix, a version mismatch, an
// unknown namespace); where is its channel or namespace.
func (n *Node) noteMalformed(where string, err error) {
	count := n.malformed.Add(1)
	if bits.OnesCount64(count) == 1 {
		n.log.Warn("eventwire: cluster message dropped", "where", where, "err", err, "dropped_total", count)
	}
}
