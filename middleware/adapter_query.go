package middleware

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/eventwire/eventwire/internal/cluster"
	"github.com/eventwire/eventwire/internal/engineio"
)

// This file is the middleware's side of internal/cluster: joining, the
// queries across nodes, and this node as the others reach it.

// joinCluster starts the node of s, the root, on adapter a.
func (s *core) joinCluster(a Adapter, o AdapterOptions) (*cluster.Node, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(s.namespaces))
	n, err := cluster.New(a, clusterLocal{s}, s.node, names, cluster.Options{
		Prefix: o.Prefix, QueueSize: o.QueueSize, QueueBytes: o.QueueBytes,
		Heartbeat: o.Heartbeat, PublishTimeout: o.PublishTimeout,
	}, s.log)
	if err != nil {
		return nil, fmt.Errorf("eventwire: adapter: %w", err)
	}
	if s.cfg.Recovery {
		s.cluster = n // the logs' deliveries may use it at once
		if err := s.joinSharedLogs(a, o.Prefix); err != nil {
			n.Close()
			s.cluster = nil
			return nil, err
		}
	}
	return n, nil
}

// ClusterLen returns the number of connected sockets of this namespace on
// every node of the cluster: Len plus the answer of each known node. It
// waits until every node known when it was called has answered (or has
// gone: unheard of for three heartbeats); if ctx ends first it returns the
// count so far and an error wrapping ctx.Err(). Without an adapter it is Len.
func (s *Server) ClusterLen(ctx context.Context) (int, error) {
	n := s.Len()
	if s.root.cluster == nil {
		return n, nil
	}
	others, err := s.root.cluster.Len(ctx, s.name)
	return n + others, clusterError(err)
}

// ClusterRoomMembers returns the sockets of this namespace in room on every
// node: this node's first, in the order they joined, then each other
// node's by node id. It waits as ClusterLen does. Without an adapter it
// lists RoomMembers.
func (s *Server) ClusterRoomMembers(ctx context.Context, room string) ([]RemoteSocket, error) {
	var out []RemoteSocket
	for _, c := range s.RoomMembers(room) {
		out = append(out, RemoteSocket{ID: c.id, Node: s.root.node, data: c.recoverableJSON()})
	}
	if s.root.cluster == nil {
		return out, nil
	}
	others, err := s.root.cluster.RoomMembers(ctx, s.name, room)
	for _, m := range others {
		out = append(out, RemoteSocket{ID: m.ID, Node: m.Node, data: string(m.Data)})
	}
	return out, clusterError(err)
}

// ClusterNodes returns the ids of the other nodes this node knows of (heard
// of within three heartbeats), sorted; none without an adapter.
func (s *Server) ClusterNodes() []string {
	if s.root.cluster == nil {
		return nil
	}
	return s.root.cluster.Peers()
}

// clusterError gives a query's error the runtime's sentinels.
func clusterError(err error) error {
	switch {
	case errors.Is(err, cluster.ErrClosed):
		return ErrClosed
	case errors.Is(err, cluster.ErrQueueFull), errors.Is(err, cluster.ErrBrokerFailing):
		return publishError(err)
	}
	return err
}

// clusterLocal is this node as the records of other nodes reach it.
type clusterLocal struct{ *core }

func (l clusterLocal) HasNamespace(ns string) bool { return l.namespaces[ns] != nil }

func (l clusterLocal) Deliver(ns string, t cluster.Target, text []byte, atts [][]byte) {
	s := l.namespaces[ns]
	_ = s.deliver(remoteOperator(s, t), engineio.Packet{Text: text, Atts: atts}) // ErrClosed: closing
}

func (l clusterLocal) DeliverUnlogged(ns string, t cluster.Target, text []byte, atts [][]byte) {
	l.namespaces[ns].deliverUnlogged(t, text, atts)
}

func (l clusterLocal) Apply(ns string, op cluster.Op, t cluster.Target, rooms []string) {
	if op == cluster.OpTakeOver {
		if r := l.namespaces[ns].rec; r != nil && r.shared != nil {
			r.takeOverLocal(l.namespaces[ns], t.Only, "its client is back on another node")
		}
		return
	}
	_ = remoteOperator(l.namespaces[ns], t).apply(op, rooms) // ErrClosed: closing
}

func (l clusterLocal) Len(ns string) int { return l.namespaces[ns].Len() }

func (l clusterLocal) RoomMembers(ns, room string) []cluster.Member {
	var out []cluster.Member
	for _, c := range l.namespaces[ns].RoomMembers(room) {
		out = append(out, cluster.Member{ID: c.id, Data: []byte(c.recoverableJSON())})
	}
	return out
}
