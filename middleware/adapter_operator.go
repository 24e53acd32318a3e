package middleware

import (
	"errors"
	"fmt"

	"github.com/eventwire/eventwire/internal/cluster"
	"github.com/eventwire/eventwire/internal/engineio"
)

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
	return o.command(cluster.OpJoin, rooms)
}

// Leave makes the operator's sockets leave rooms on every node of the
// cluster (socket.io's socketsLeave), as Join does.
func (o Operator) Leave(rooms ...string) error {
	if len(rooms) == 0 {
		return nil
	}
	return o.command(cluster.OpLeave, rooms)
}

// Disconnect disconnects the operator's sockets on every node of the
// cluster (socket.io's disconnectSockets) as Conn.Close does: each client
// gets a DISCONNECT, and OnDisconnect sees "server namespace disconnect".
func (o Operator) Disconnect() error {
	return o.command(cluster.OpDisconnect, nil)
}

func (o Operator) command(op cluster.Op, rooms []string) error {
	if o.s == nil {
		return errors.New("eventwire: command on a zero Operator")
	}
	if err := o.apply(op, rooms); err != nil {
		return err
	}
	if !o.reachesOtherNodes() {
		return nil
	}
	return publishError(o.s.root.cluster.Command(o.s.name, op, o.target(), rooms))
}

// apply carries out a Join, Leave or Disconnect command on the sockets o
// reaches on this node.
func (o Operator) apply(op cluster.Op, rooms []string) error {
	recipients, err := o.s.recipients(o)
	for _, c := range recipients {
		switch op {
		case cluster.OpJoin:
			c.Join(rooms...)
		case cluster.OpLeave:
			c.Leave(rooms...)
		case cluster.OpDisconnect:
			_ = c.Close() // ErrClosed: it is ending already
		}
	}
	return err
}

// publishPacket hands an emit's packet to the other nodes.
func (o Operator) publishPacket(p engineio.Packet) error {
	if !o.reachesOtherNodes() {
		return nil
	}
	return publishError(o.s.root.cluster.Broadcast(o.s.name, o.target(), p.Text, p.Atts))
}

// reachesOtherNodes is false when o is local, the server has no adapter,
// or o reaches no one anywhere.
func (o Operator) reachesOtherNodes() bool {
	return o.s.root.cluster != nil && !o.local && (!o.targeted || len(o.to) > 0)
}

// target is what o selects, as the other nodes read it.
func (o Operator) target() cluster.Target {
	return cluster.Target{Targeted: o.targeted, To: o.to, Except: o.without, ExceptID: o.exceptID}
}

// remoteOperator is the Operator a remote node's record names, on this node.
func remoteOperator(s *Server, t cluster.Target) Operator {
	return Operator{s: s, exceptID: t.ExceptID, to: t.To, without: t.Except, targeted: t.Targeted, local: true}
}

func publishError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrClusterPublish, err)
}
