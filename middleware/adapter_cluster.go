package middleware

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// cluster is a Server's side of an Adapter: the publish queue and the one
// goroutine that drains it (which also sends heartbeats and probes a
// failing broker), the known peers, and the requests waiting for answers.
// A Server without an adapter has none, and pays nothing.
type cluster struct {
	s      *Server // the root
	a      Adapter
	opts   AdapterOptions
	node   string            // this node's id, the origin of what it publishes
	nsChan map[string]string // namespace -> its channel; read-only
	self   string            // this node's channel: answers to its requests
	all    string            // the cluster channel: heartbeats

	queue   chan outbound
	stop    chan struct{} // closed by close: flush, say bye, end
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
}

// Batches: consecutive records for one channel share a publish.
const (
	maxBatchRecords = 256
	maxBatchBytes   = 256 << 10
)

// startCluster subscribes s's channels through a and starts the drain
// goroutine; s's namespaces must exist.
func startCluster(s *Server, a Adapter, o AdapterOptions) (*cluster, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &cluster{
		s: s, a: a, opts: o, node: s.node,
		nsChan: map[string]string{"/": namespaceChannel(o.Prefix, "/")},
		self:   nodeChannel(o.Prefix, s.node), all: clusterChannel(o.Prefix),
		queue: make(chan outbound, o.QueueSize), stop: make(chan struct{}), done: make(chan struct{}),
		peers: make(map[string]time.Time), waiting: make(map[uint64]chan answer),
	}
	for name := range s.namespaces {
		c.nsChan[name] = namespaceChannel(o.Prefix, name)
	}
	channels := []string{c.self, c.all}
	for _, ch := range c.nsChan {
		channels = append(channels, ch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.PublishTimeout)
	defer cancel()
	if err := a.Subscribe(ctx, channels, c.deliver); err != nil {
		return nil, fmt.Errorf("eventwire: adapter: subscribe: %w", err)
	}
	go c.run()
	return c, nil
}

// close flushes the queue, tells the peers this node leaves, ends the
// goroutine and closes the adapter. Called once, after the connections ended.
func (c *cluster) close() {
	close(c.stop)
	<-c.done
	if err := c.a.Close(); err != nil {
		c.s.log.Warn("eventwire: adapter close", "err", err)
	}
}

// send queues r for channel without ever blocking: when the broker is
// known to be failing or the queue is full it returns ErrClusterPublish.
func (c *cluster) send(channel string, r *record) error {
	if c.failing.Load() {
		c.noteFailed(1, errBrokerFailing)
		return fmt.Errorf("%w: %w", ErrClusterPublish, errBrokerFailing)
	}
	select {
	case c.queue <- outbound{channel: channel, rec: appendRecord(nil, r), counted: true}:
		return nil
	default:
		c.noteFailed(1, errQueueFull)
		return fmt.Errorf("%w: %w (%d messages)", ErrClusterPublish, errQueueFull, cap(c.queue))
	}
}

var (
	errBrokerFailing = errors.New("the broker is unreachable (the last publish failed)")
	errQueueFull     = errors.New("the publish queue is full")
)

// sendQuiet queues a heartbeat; it is not counted, and lost if it does not fit.
func (c *cluster) sendQuiet(channel string, r *record) {
	select {
	case c.queue <- outbound{channel: channel, rec: appendRecord(nil, r)}:
	default:
	}
}

// run is the drain goroutine: it publishes the queue in order, sends a
// heartbeat every interval (which also forgets silent peers), and while the
// broker fails probes it with heartbeats, backing off up to the interval.
func (c *cluster) run() {
	defer close(c.done)
	beat := time.NewTicker(c.opts.Heartbeat)
	defer beat.Stop()
	probe := time.NewTimer(time.Hour)
	probe.Stop()
	armed, backoff := false, time.Duration(0)
	c.heartbeat(kindHeartbeat, false)
	for {
		select {
		case m := <-c.queue:
			c.drain(m)
		case <-beat.C:
			c.prune(time.Now())
			c.heartbeat(kindHeartbeat, false)
		case <-probe.C:
			armed = false
			c.heartbeat(kindHeartbeat, true)
		case <-c.stop:
			c.flush()
			c.heartbeat(kindBye, false)
			return
		}
		switch {
		case !c.failing.Load():
			backoff = 0
		case !armed:
			backoff = min(max(2*backoff, 50*time.Millisecond), c.opts.Heartbeat)
			probe.Reset(backoff)
			armed = true
		}
	}
}

// drain publishes first and what is queued behind it, batching the
// records of consecutive messages for the same channel.
func (c *cluster) drain(first outbound) {
	channel, counted, size := first.channel, 0, 0
	c.batch = c.batch[:0]
	add := func(m outbound) {
		c.batch, size = append(c.batch, m.rec), size+len(m.rec)
		if m.counted {
			counted++
		}
	}
	add(first)
	for len(c.batch) < maxBatchRecords {
		var m outbound
		select {
		case m = <-c.queue:
		default:
			c.publish(channel, c.batch, counted, false)
			return
		}
		if m.channel != channel || size+len(m.rec) > maxBatchBytes {
			c.publish(channel, c.batch, counted, false)
			channel, counted, size = m.channel, 0, 0
			c.batch = c.batch[:0]
		}
		add(m)
	}
	c.publish(channel, c.batch, counted, false)
}

// flush publishes what is queued when the server shuts down.
func (c *cluster) flush() {
	for {
		select {
		case m := <-c.queue:
			c.drain(m)
		default:
			return
		}
	}
}

func (c *cluster) heartbeat(kind recordKind, probe bool) {
	rec := appendRecord(nil, &record{kind: kind})
	c.publish(c.all, [][]byte{rec}, 0, probe)
}

// publish sends records as one envelope; counted of them are the app's.
// While the broker fails only a probe is tried: the rest is dropped and
// counted, so a dead broker costs no timeout per message.
func (c *cluster) publish(channel string, records [][]byte, counted int, probe bool) {
	if c.failing.Load() && !probe {
		c.noteFailed(uint64(counted), errBrokerFailing)
		return
	}
	c.buf = appendEnvelope(c.buf[:0], c.node, records)
	if cap(c.buf) > 4*maxBatchBytes {
		defer func() { c.buf = nil }() // one huge message does not pin its buffer
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.PublishTimeout)
	err := c.a.Publish(ctx, channel, c.buf)
	cancel()
	if err != nil {
		if c.failing.CompareAndSwap(false, true) {
			c.s.log.Warn("eventwire: cluster publish failing; emits reach this node only until the broker is back",
				"node", c.node, "err", err)
		}
		c.noteFailed(uint64(counted), err)
		return
	}
	if c.failing.CompareAndSwap(true, false) {
		c.s.log.Warn("eventwire: cluster publish recovered", "node", c.node, "failed_total", c.failed.Load())
	}
	c.published.Add(uint64(counted))
}

// noteFailed counts n lost messages; the log hears of it at each power of
// two, so a long outage does not flood it.
func (c *cluster) noteFailed(n uint64, err error) {
	if n == 0 {
		return
	}
	total := c.failed.Add(n)
	if bits.Len64(total) != bits.Len64(total-n) {
		c.s.log.Warn("eventwire: cluster messages not published", "node", c.node, "err", err, "failed_total", total)
	}
}

// prune forgets the peers unheard of for three heartbeats.
func (c *cluster) prune(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for node, seen := range c.peers {
		if now.Sub(seen) > 3*c.opts.Heartbeat {
			delete(c.peers, node)
		}
	}
}

// Counters for Stats; a nil cluster (no adapter) counts nothing.

func (c *cluster) publishedCount() uint64 {
	if c == nil {
		return 0
	}
	return c.published.Load()
}

func (c *cluster) failedCount() uint64 {
	if c == nil {
		return 0
	}
	return c.failed.Load()
}

func (c *cluster) receivedCount() uint64 {
	if c == nil {
		return 0
	}
	return c.received.Load()
}
