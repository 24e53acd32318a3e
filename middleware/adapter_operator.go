package middleware

import "errors"

// Local returns the operator that acts on this node's sockets only, even
// in a cluster (socket.io's local flag).
func (o Operator) Local() Operator {
	o.local = true
	return o
}

// Join makes the operator's sockets join rooms, on every node of the
// cluster (socket.io's socketsJoin): this node's at once, the others' when
// the command reaches them. Rooms stay local to the node holding each
// socket. It fails as Emit does, ErrClusterPublish included.
func (o Operator) Join(rooms ...string) error {
	if len(rooms) == 0 {
		return nil
	}
	return o.command(kindJoin, rooms)
}

// Leave makes the operator's sockets leave rooms on every node of the
// cluster (socket.io's socketsLeave), as Join does.
func (o Operator) Leave(rooms ...string) error {
	if len(rooms) == 0 {
		return nil
	}
	return o.command(kindLeave, rooms)
}

// Disconnect disconnects the operator's sockets on every node of the
// cluster (socket.io's disconnectSockets) as Conn.Close does: each client
// gets a DISCONNECT, and OnDisconnect sees "server namespace disconnect".
func (o Operator) Disconnect() error {
	return o.command(kindDisconnect, nil)
}

func (o Operator) command(kind recordKind, rooms []string) error {
	if o.s == nil {
		return errors.New("eventwire: command on a zero Operator")
	}
	recipients, err := o.s.recipients(o)
	if err != nil {
		return err
	}
	for _, c := range recipients {
		apply(kind, c, rooms)
	}
	return o.publish(kind, rooms, outPacket{})
}

// apply carries out a Join, Leave or Disconnect command on c.
func apply(kind recordKind, c *Conn, rooms []string) {
	switch kind {
	case kindJoin:
		c.Join(rooms...)
	case kindLeave:
		c.Leave(rooms...)
	case kindDisconnect:
		_ = c.Close() // ErrClosed: it is ending already
	}
}

// publish hands what o did on this node to the other nodes, unless o is
// local, the server has no adapter, or o reaches no one anywhere.
func (o Operator) publish(kind recordKind, args []string, p outPacket) error {
	c := o.s.root.cluster
	if c == nil || o.local || (o.targeted && len(o.to) == 0) {
		return nil
	}
	return c.send(c.nsChan[o.s.name], &record{
		kind: kind, targeted: o.targeted, ns: o.s.name,
		to: o.to, except: o.without, exceptID: o.exceptID,
		args: args, text: p.text, atts: p.atts,
	})
}
