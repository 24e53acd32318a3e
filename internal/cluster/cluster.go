// Package cluster is the node-to-node protocol that lets several eventwire
// servers act as one: the envelope codec, the publish queue with batching
// and backoff, heartbeats and the peers they reveal, and requests with
// their answers (docs/CLUSTER.md has the channels and the format).
//
// It reaches the broker through a Broker (the methods of
// middleware.Adapter, which satisfies it) and the node it serves through a
// Local; it knows nothing of connections, sockets or rooms beyond what
// Local answers. A Node is made by New and ended by Close.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Broker carries messages between nodes: middleware.Adapter's methods,
// with the same contract (see there).
type Broker interface {
	Subscribe(ctx context.Context, channels []string, deliver func(channel string, msg []byte)) error
	Publish(ctx context.Context, channel string, msg []byte) error
	Close() error
}

// Target selects the sockets of a namespace that a record acts on, as an
// operator does: the members of rooms To when Targeted (else everyone), but
// never those in rooms Except nor the socket ExceptID.
type Target struct {
	Only     string // when set, the one socket targeted; the rest is unused
	Targeted bool
	To       []string
	Except   []string
	ExceptID string
}

// Op is what a command asks of the sockets it targets.
type Op uint8

// The commands; their values are the record kinds that carry them.
const (
	OpJoin       = Op(kindJoin)
	OpLeave      = Op(kindLeave)
	OpDisconnect = Op(kindDisconnect)
	OpTakeOver   = Op(kindTakeOver) // for Target{Only: id}: its client is back elsewhere
)

// Local is the node a Node serves, as the records of other nodes ask
// things of it. Its methods are called from the broker's delivery
// goroutine, one at a time.
type Local interface {
	// HasNamespace reports whether ns is served here.
	HasNamespace(ns string) bool
	// Deliver queues a packet's frames to the target's sockets here.
	Deliver(ns string, t Target, text []byte, atts [][]byte)
	// DeliverUnlogged delivers, without an offset, a packet of this node
	// that did not reach the recovery log (see Append).
	DeliverUnlogged(ns string, t Target, text []byte, atts [][]byte)
	// Apply carries out a command on the target's sockets here.
	Apply(ns string, op Op, t Target, rooms []string)
	// Len is the number of connected sockets of ns here.
	Len(ns string) int
	// RoomMembers lists the sockets of ns in room here (Node unset).
	RoomMembers(ns, room string) []Member
}

// Options configure a Node; every field must be set (the runtime's
// AdapterOptions supply the defaults).
type Options struct {
	Prefix         string        // starts every channel name
	QueueSize      int           // messages waiting to be published
	QueueBytes     int64         // their bytes
	Heartbeat      time.Duration // how often the node says it is alive
	PublishTimeout time.Duration // bounds one publish
}

// Errors of a Node. Publishing errors say why a message did not leave.
var (
	ErrQueueFull     = errors.New("the publish queue is full")
	ErrBrokerFailing = errors.New("the broker is unreachable (the last publish failed)")
	ErrClosed        = errors.New("eventwire: cluster: node closed")
)

// Node is a server's side of the broker: the publish queue and the one
// goroutine that drains it (which also sends heartbeats and probes a
// failing broker), the known peers, and the requests waiting for answers.
type Node struct {
	b      Broker
	local  Local
	log    *slog.Logger
	opts   Options
	id     string            // this node's id, the origin of what it publishes
	nsChan map[string]string // namespace -> its channel; read-only
	self   string            // this node's channel: answers to its requests
	all    string            // the cluster channel: heartbeats

	qmu     sync.Mutex
	queue   []outbound    // waiting to be published, in order
	qbytes  int64         // the bytes of queue's records
	wake    chan struct{} // holds a token while queue may have records
	stop    chan struct{} // closed by Close: flush, say bye, end
	done    chan struct{} // closed when the goroutine has ended
	failing atomic.Bool   // the last publish failed: publish nothing until a probe succeeds
	buf     []byte        // the envelope being published; drain goroutine only
	batch   [][]byte      // likewise

	published, failed, received atomic.Uint64
	malformed                   atomic.Uint64

	mu      sync.Mutex
	peers   map[string]time.Time // node id -> last heard of
	nextReq uint64
	waiting map[uint64]chan answer // request id -> its answers
}

// outbound is one encoded record waiting to be published on channel.
type outbound struct {
	channel string
	rec     []byte
	counted bool // the app's message, counted in Stats; heartbeats are not
	logged  bool // for a recovery log: AppendLog, not Publish (see log.go)
}

// Batches: consecutive records for one channel share a publish.
const (
	maxBatchRecords = 256
	maxBatchBytes   = 256 << 10
)

// Channel names; docs/CLUSTER.md lists them. Namespaces start with "/",
// so a namespace's channel never collides with the others.
func namespaceChannel(prefix, ns string) string { return prefix + "#" + ns + "#" }
func nodeChannel(prefix, node string) string    { return prefix + "#node#" + node }
func clusterChannel(prefix string) string       { return prefix + "#cluster#" }

// New subscribes the channels of node id serving namespaces through b and
// starts the drain goroutine. It does not close b when it fails.
func New(b Broker, local Local, id string, namespaces []string, o Options, log *slog.Logger) (*Node, error) {
	n := &Node{
		b: b, local: local, log: log, opts: o, id: id,
		nsChan: make(map[string]string, len(namespaces)),
		self:   nodeChannel(o.Prefix, id), all: clusterChannel(o.Prefix),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		peers: make(map[string]time.Time), waiting: make(map[uint64]chan answer),
	}
	channels := []string{n.self, n.all}
	for _, ns := range namespaces {
		n.nsChan[ns] = namespaceChannel(o.Prefix, ns)
		channels = append(channels, n.nsChan[ns])
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.PublishTimeout)
	defer cancel()
	if err := b.Subscribe(ctx, channels, n.deliver); err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	go n.run()
	return n, nil
}

// Close flushes the queue, tells the peers this node leaves, ends the
// goroutine and closes the broker. Call it once, after the node's last
// emits.
func (n *Node) Close() {
	close(n.stop)
	<-n.done
	if err := n.b.Close(); err != nil {
		n.log.Warn("eventwire: adapter close", "err", err)
	}
}

// Broadcast hands the other nodes a packet for the target's sockets of ns.
func (n *Node) Broadcast(ns string, t Target, text []byte, atts [][]byte) error {
	return n.send(n.nsChan[ns], recordFor(kindBroadcast, ns, t, nil, text, atts))
}

// Command hands the other nodes a command for the target's sockets of ns.
func (n *Node) Command(ns string, op Op, t Target, rooms []string) error {
	return n.send(n.nsChan[ns], recordFor(recordKind(op), ns, t, rooms, nil, nil))
}

func recordFor(kind recordKind, ns string, t Target, args []string, text []byte, atts [][]byte) *record {
	if t.Only != "" {
		return &record{kind: kind, only: true, ns: ns, exceptID: t.Only, args: args, text: text, atts: atts}
	}
	return &record{
		kind: kind, targeted: t.Targeted, ns: ns, to: t.To, except: t.Except, exceptID: t.ExceptID,
		args: args, text: text, atts: atts,
	}
}

// target is the Target r names.
func (r *record) target() Target {
	if r.only {
		return Target{Only: r.exceptID}
	}
	return Target{Targeted: r.targeted, To: r.to, Except: r.except, ExceptID: r.exceptID}
}

// send queues r for channel without ever blocking: when the broker is
// known to be failing or the queue is full it fails with ErrBrokerFailing
// or ErrQueueFull.
func (n *Node) send(channel string, r *record) error {
	if n.failing.Load() {
		n.noteFailed(1, ErrBrokerFailing)
		return ErrBrokerFailing
	}
	if !n.enqueue(outbound{channel: channel, rec: appendRecord(nil, r), counted: true}) {
		n.noteFailed(1, ErrQueueFull)
		return fmt.Errorf("%w (%d messages, %d bytes at most)", ErrQueueFull, n.opts.QueueSize, n.opts.QueueBytes)
	}
	return nil
}

// sendQuiet queues a heartbeat; it is not counted, and lost if it does not fit.
func (n *Node) sendQuiet(channel string, r *record) {
	n.enqueue(outbound{channel: channel, rec: appendRecord(nil, r)})
}

// enqueue adds m to the publish queue unless that would pass its bounds.
// The queue is a slice that grows only while a burst waits, so a bound far
// above the usual backlog costs nothing until it is used.
func (n *Node) enqueue(m outbound) bool {
	n.qmu.Lock()
	if len(n.queue) >= n.opts.QueueSize || n.qbytes+int64(len(m.rec)) > n.opts.QueueBytes {
		n.qmu.Unlock()
		return false
	}
	n.queue = append(n.queue, m)
	n.qbytes += int64(len(m.rec))
	n.qmu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default: // a token is there already
	}
	return true
}

// take removes and returns the longest run at the head of the queue that
// one envelope carries: records for one channel, within the batch limits.
// It appends them to batch, which it returns with their channel and how
// many of them are the app's.
func (n *Node) take(batch [][]byte) (out [][]byte, channel string, counted int, logged bool) {
	n.qmu.Lock()
	defer n.qmu.Unlock()
	size, i := 0, 0
	for ; i < len(n.queue) && len(batch) < maxBatchRecords; i++ {
		m := n.queue[i]
		if i > 0 && (m.channel != channel || size+len(m.rec) > maxBatchBytes) {
			break
		}
		channel, logged = m.channel, m.logged
		batch, size = append(batch, m.rec), size+len(m.rec)
		if m.counted {
			counted++
		}
		n.queue[i] = outbound{}
	}
	n.queue = n.queue[i:]
	n.qbytes -= int64(size)
	if len(n.queue) == 0 {
		n.queue = nil // a burst's array goes with it
	}
	return batch, channel, counted, logged
}

// run is the drain goroutine: it publishes the queue in order, sends a
// heartbeat every interval (which also forgets silent peers), and while the
// broker fails probes it with heartbeats, backing off up to the interval.
func (n *Node) run() {
	defer close(n.done)
	beat := time.NewTicker(n.opts.Heartbeat)
	defer beat.Stop()
	probe := time.NewTimer(time.Hour)
	probe.Stop()
	armed, backoff := false, time.Duration(0)
	n.heartbeat(kindHeartbeat, false)
	for {
		select {
		case <-n.wake:
			n.drain()
		case <-beat.C:
			n.prune(time.Now())
			n.heartbeat(kindHeartbeat, false)
		case <-probe.C:
			armed = false
			n.heartbeat(kindHeartbeat, true)
		case <-n.stop:
			n.drain() // what the last emits queued
			n.heartbeat(kindBye, false)
			return
		}
		switch {
		case !n.failing.Load():
			backoff = 0
		case !armed:
			backoff = min(max(2*backoff, 50*time.Millisecond), n.opts.Heartbeat)
			probe.Reset(backoff)
			armed = true
		}
	}
}

// drain publishes the queue until it is empty, batching the records of
// consecutive messages for the same channel into one envelope.
func (n *Node) drain() {
	for {
		batch, channel, counted, logged := n.take(n.batch[:0])
		if len(batch) == 0 {
			return
		}
		n.batch = batch
		if logged {
			n.publishLogged(channel, batch)
			continue
		}
		n.publish(channel, batch, counted, false)
	}
}

func (n *Node) heartbeat(kind recordKind, probe bool) {
	rec := appendRecord(nil, &record{kind: kind})
	n.publish(n.all, [][]byte{rec}, 0, probe)
}

// publish sends records as one envelope; counted of them are the app's.
// While the broker fails only a probe is tried: the rest is dropped and
// counted, so a dead broker costs no timeout per message.
func (n *Node) publish(channel string, records [][]byte, counted int, probe bool) {
	if n.failing.Load() && !probe {
		n.noteFailed(uint64(counted), ErrBrokerFailing)
		return
	}
	n.buf = appendEnvelope(n.buf[:0], n.id, records)
	if cap(n.buf) > 4*maxBatchBytes {
		defer func() { n.buf = nil }() // one huge message does not pin its buffer
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.PublishTimeout)
	err := n.b.Publish(ctx, channel, n.buf)
	cancel()
	n.noteOutcome(err)
	if err != nil {
		n.noteFailed(uint64(counted), err)
		return
	}
	n.published.Add(uint64(counted))
}

// publishLogged appends records to the log of stream; records the broker
// did not take are delivered here without an offset.
func (n *Node) publishLogged(stream string, records [][]byte) {
	if n.failing.Load() {
		n.noteFailed(uint64(len(records)), ErrBrokerFailing)
		n.unlogged(records)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.opts.PublishTimeout)
	err := n.appendLogged(ctx, stream, records)
	cancel()
	n.noteOutcome(err)
	if err != nil {
		n.noteFailed(uint64(len(records)), err)
		n.unlogged(records)
		return
	}
	n.published.Add(uint64(len(records)))
}

// noteOutcome switches failing on an error and off on a success, and
// logs each switch.
func (n *Node) noteOutcome(err error) {
	switch {
	case err != nil && n.failing.CompareAndSwap(false, true):
		n.log.Warn("eventwire: cluster publish failing; emits reach this node only until the broker is back",
			"node", n.id, "err", err)
	case err == nil && n.failing.CompareAndSwap(true, false):
		n.log.Warn("eventwire: cluster publish recovered", "node", n.id, "failed_total", n.failed.Load())
	}
}

// noteFailed counts n lost messages; the log hears of it at each power of
// two, so a long outage does not flood it.
func (n *Node) noteFailed(lost uint64, err error) {
	if lost == 0 {
		return
	}
	total := n.failed.Add(lost)
	if bits.Len64(total) != bits.Len64(total-lost) {
		n.log.Warn("eventwire: cluster messages not published", "node", n.id, "err", err, "failed_total", total)
	}
}

// prune forgets the peers unheard of for three heartbeats.
func (n *Node) prune(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for node, seen := range n.peers {
		if now.Sub(seen) > 3*n.opts.Heartbeat {
			delete(n.peers, node)
		}
	}
}

// Stats are a Node's counters.
type Stats struct {
	// Published counts the app's messages (emits, commands, requests and
	// answers) published; Failed those lost; Received those received.
	Published, Failed, Received uint64
	// Malformed counts messages dropped unread.
	Malformed uint64
}

// Stats returns the counters; a nil Node (no adapter) counts nothing.
func (n *Node) Stats() Stats {
	if n == nil {
		return Stats{}
	}
	return Stats{
		Published: n.published.Load(), Failed: n.failed.Load(),
		Received: n.received.Load(), Malformed: n.malformed.Load(),
	}
}
