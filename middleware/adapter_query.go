package middleware

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// answer is one node's answer to a request.
type answer struct {
	node string
	num  uint64
	ids  []string
}

var errUnknownNamespace = errors.New("unknown namespace")

// ClusterLen returns the number of connected sockets of this namespace on
// every node of the cluster: Len plus the answer of each known node. It
// waits until every node known when it was called has answered (or has
// gone: unheard of for three heartbeats); if ctx ends first it returns the
// count so far and an error wrapping ctx.Err(). Without an adapter it is Len.
func (s *Server) ClusterLen(ctx context.Context) (int, error) {
	n := s.Len()
	c := s.root.cluster
	if c == nil {
		return n, nil
	}
	answers, err := c.ask(ctx, record{kind: kindAskLen, ns: s.name})
	for _, a := range answers {
		n += int(a.num)
	}
	return n, err
}

// ClusterRoomMembers returns the sockets of this namespace in room on every
// node: this node's first, in the order they joined, then each other
// node's by node id. It waits as ClusterLen does. Without an adapter it
// lists RoomMembers.
func (s *Server) ClusterRoomMembers(ctx context.Context, room string) ([]RemoteSocket, error) {
	var out []RemoteSocket
	for _, c := range s.RoomMembers(room) {
		out = append(out, RemoteSocket{ID: c.id, Node: s.root.node})
	}
	c := s.root.cluster
	if c == nil {
		return out, nil
	}
	answers, err := c.ask(ctx, record{kind: kindAskMembers, ns: s.name, args: []string{room}})
	slices.SortFunc(answers, func(a, b answer) int { return cmp.Compare(a.node, b.node) })
	for _, a := range answers {
		for _, id := range a.ids {
			out = append(out, RemoteSocket{ID: id, Node: a.node})
		}
	}
	return out, err
}

// ask publishes request r and collects the answers of the peers known now.
func (c *cluster) ask(ctx context.Context, r record) ([]answer, error) {
	expect := c.peerSet()
	if len(expect) == 0 && !c.failing.Load() { // alone; a failing broker may hide peers: send says so
		return nil, nil
	}
	ch := make(chan answer, 2*len(expect)+8)
	c.mu.Lock()
	c.nextReq++
	r.id = c.nextReq
	c.waiting[r.id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, r.id)
		c.mu.Unlock()
	}()
	if err := c.send(c.nsChan[r.ns], &r); err != nil {
		return nil, err
	}
	// A peer that dies while we wait is forgotten at a heartbeat; look again
	// as often, so the wait ends with it.
	recheck := time.NewTicker(c.opts.Heartbeat)
	defer recheck.Stop()
	var got []answer
	for len(expect) > 0 {
		select {
		case a := <-ch:
			if _, waited := expect[a.node]; waited || !answered(got, a.node) {
				delete(expect, a.node)
				got = append(got, a)
			}
		case <-recheck.C:
			c.dropGone(expect)
		case <-ctx.Done():
			return got, fmt.Errorf("eventwire: cluster: %d node(s) did not answer: %w", len(expect), ctx.Err())
		case <-c.done:
			return got, ErrClosed
		}
	}
	return got, nil
}

func answered(got []answer, node string) bool {
	return slices.ContainsFunc(got, func(a answer) bool { return a.node == node })
}

// answer hands node's answer to the request waiting for it, if any still is.
func (c *cluster) answer(node string, r *record) {
	c.mu.Lock()
	ch := c.waiting[r.id]
	c.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- answer{node: node, num: r.num, ids: r.args}:
	default: // a node answering twice; the first counts
	}
}

func (c *cluster) peerSet() map[string]struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := make(map[string]struct{}, len(c.peers))
	for node := range c.peers {
		set[node] = struct{}{}
	}
	return set
}

// dropGone removes from expect the nodes that are no longer peers.
func (c *cluster) dropGone(expect map[string]struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for node := range expect {
		if _, alive := c.peers[node]; !alive {
			delete(expect, node)
		}
	}
}

// ClusterNodes returns the ids of the other nodes this node knows of (heard
// of within three heartbeats), sorted; none without an adapter.
func (s *Server) ClusterNodes() []string {
	c := s.root.cluster
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(maps.Keys(c.peers))
}
