package cluster

import (
	"cmp"
	"context"
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

// Member is a socket on another node.
type Member struct {
	Node string // the node holding it
	ID   string // its socket id
	Data []byte // what the runtime tells of it (JSON), opaque here
}

// Len asks every known peer for its number of connected sockets of ns
// and returns their sum. It waits until every node known when it was
// called has answered (or has gone: unheard of for three heartbeats); if
// ctx ends first it returns the sum so far and an error wrapping ctx.Err().
func (n *Node) Len(ctx context.Context, ns string) (int, error) {
	answers, err := n.ask(ctx, record{kind: kindAskLen, ns: ns})
	sum := 0
	for _, a := range answers {
		sum += int(a.num)
	}
	return sum, err
}

// RoomMembers asks every known peer for the sockets of ns in room, and
// returns them by node id, each node's in its own order. It waits as Len does.
func (n *Node) RoomMembers(ctx context.Context, ns, room string) ([]Member, error) {
	answers, err := n.ask(ctx, record{kind: kindAskMembers, ns: ns, args: []string{room}})
	slices.SortFunc(answers, func(a, b answer) int { return cmp.Compare(a.node, b.node) })
	var out []Member
	for _, a := range answers {
		for i := 0; i+1 < len(a.ids); i += 2 { // id, data, id, data, …
			out = append(out, Member{Node: a.node, ID: a.ids[i], Data: []byte(a.ids[i+1])})
		}
	}
	return out, err
}

// ask publishes request r and collects the answers of the peers known now.
func (n *Node) ask(ctx context.Context, r record) ([]answer, error) {
	expect := n.peerSet()
	if len(expect) == 0 && !n.failing.Load() { // alone; a failing broker may hide peers: send says so
		return nil, nil
	}
	ch := make(chan answer, 2*len(expect)+8)
	n.mu.Lock()
	n.nextReq++
	r.id = n.nextReq
	n.waiting[r.id] = ch
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.waiting, r.id)
		n.mu.Unlock()
	}()
	if err := n.send(n.nsChan[r.ns], &r); err != nil {
		return nil, err
	}
	// A peer that dies while we wait is forgotten at a heartbeat; look again
	// as often, so the wait ends with it.
	recheck := time.NewTicker(n.opts.Heartbeat)
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
			n.dropGone(expect)
		case <-ctx.Done():
			return got, fmt.Errorf("eventwire: cluster: %d node(s) did not answer: %w", len(expect), ctx.Err())
		case <-n.done:
			return got, ErrClosed
		}
	}
	return got, nil
}

func answered(got []answer, node string) bool {
	return slices.ContainsFunc(got, func(a answer) bool { return a.node == node })
}

// answer hands node's answer to the request waiting for it, if any still is.
func (n *Node) answer(node string, r *record) {
	n.mu.Lock()
	ch := n.waiting[r.id]
	n.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- answer{node: node, num: r.num, ids: r.args}:
	default: // a node answering twice; the first counts
	}
}

func (n *Node) peerSet() map[string]struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	set := make(map[string]struct{}, len(n.peers))
	for node := range n.peers {
		set[node] = struct{}{}
	}
	return set
}

// dropGone removes from expect the nodes that are no longer peers.
func (n *Node) dropGone(expect map[string]struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for node := range expect {
		if _, alive := n.peers[node]; !alive {
			delete(expect, node)
		}
	}
}

// Peers returns the ids of the other nodes this node knows of (heard of
// within three heartbeats), sorted.
func (n *Node) Peers() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Sorted(maps.Keys(n.peers))
}
