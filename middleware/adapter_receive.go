package middleware

import (
	"math/bits"
	"time"
)

// deliver is the Adapter's callback: it decodes an envelope and carries out
// each record on this node. A node's own envelopes come back to it from the
// broker and are dropped: their emits were delivered here already.
func (c *cluster) deliver(channel string, msg []byte) {
	origin, records, err := decodeEnvelope(msg)
	if err != nil {
		c.noteMalformed(channel, err)
		return
	}
	if origin == c.node {
		return
	}
	heard := false
	for i := range records {
		r := &records[i]
		if r.kind == kindBye {
			c.forget(origin)
			continue
		}
		if !heard {
			c.hear(origin)
			heard = true
		}
		c.handle(origin, r)
	}
}

// handle carries out one record from node origin.
func (c *cluster) handle(origin string, r *record) {
	switch r.kind {
	case kindHeartbeat:
		return
	case kindAnswer:
		c.received.Add(1)
		c.answer(origin, r)
		return
	}
	ns := c.s.Namespace(r.ns)
	if ns == nil {
		c.noteMalformed(r.ns, errUnknownNamespace)
		return
	}
	c.received.Add(1)
	switch r.kind {
	case kindBroadcast:
		_ = ns.deliver(r.operator(ns), outPacket{text: r.text, atts: r.atts}) // ErrClosed: closing
	case kindJoin, kindLeave, kindDisconnect:
		recipients, err := ns.recipients(r.operator(ns))
		if err != nil {
			return
		}
		for _, conn := range recipients {
			apply(r.kind, conn, r.args)
		}
	case kindAskLen:
		c.reply(origin, &record{kind: kindAnswer, id: r.id, ns: r.ns, num: uint64(ns.Len())})
	case kindAskMembers:
		var ids []string
		if len(r.args) == 1 {
			for _, m := range ns.RoomMembers(r.args[0]) {
				ids = append(ids, m.id)
			}
		}
		c.reply(origin, &record{kind: kindAnswer, id: r.id, ns: r.ns, args: ids})
	}
}

// operator is the Operator a remote node's record names, on this node.
func (r *record) operator(ns *Server) Operator {
	return Operator{s: ns, exceptID: r.exceptID, to: r.to, without: r.except, targeted: r.targeted, local: true}
}

// reply answers a request of node origin on its channel. A lost answer only
// makes the asker wait until its context ends.
func (c *cluster) reply(origin string, r *record) {
	_ = c.send(nodeChannel(c.opts.Prefix, origin), r)
}

// hear records that node is alive; a node heard of for the first time gets
// a heartbeat at once, so a new node learns its peers without waiting an
// interval.
func (c *cluster) hear(node string) {
	c.mu.Lock()
	_, known := c.peers[node]
	c.peers[node] = time.Now()
	c.mu.Unlock()
	if !known {
		c.sendQuiet(c.all, &record{kind: kindHeartbeat})
	}
}

func (c *cluster) forget(node string) {
	c.mu.Lock()
	delete(c.peers, node)
	c.mu.Unlock()
}

// noteMalformed logs, at each power of two, a message this node could not
// read (another application on the same prefix, a version mismatch, an
// unknown namespace); where is its channel or namespace.
func (c *cluster) noteMalformed(where string, err error) {
	n := c.malformed.Add(1)
	if bits.OnesCount64(n) == 1 {
		c.s.log.Warn("eventwire: cluster message dropped", "where", where, "err", err, "dropped_total", n)
	}
}
