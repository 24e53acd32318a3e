// Package memory is an in-process middleware.Adapter: a Hub joins several
// Servers of one process into a cluster, as a broker would join processes.
// It serves tests of clustered code (several nodes, no broker) and stands
// in for a broker that can be switched off (Hub.SetDown).
//
//	hub := memory.NewHub()
//	a, _ := middleware.New(schema, middleware.WithAdapter(hub.Adapter(), middleware.AdapterOptions{}))
//	b, _ := middleware.New(schema, middleware.WithAdapter(hub.Adapter(), middleware.AdapterOptions{}))
//
// A single Server needs no adapter at all.
package memory

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/eventwire/eventwire/middleware/adapter"
)

// Hub is the broker: what one of its adapters publishes reaches every
// adapter of the Hub subscribed to the channel, the publisher's included.
type Hub struct {
	mu       sync.RWMutex
	subs     []*Adapter
	down     error
	logs     map[string]*memLog     // the RecoveryAdapter's logs, by stream
	sessions map[string]*memSession // and its sessions, by key
	epochs   int                    // logs made, for their epochs
}

// NewHub returns an empty Hub.
func NewHub() *Hub { return &Hub{} }

// Adapter returns a new adapter on h, for one Server.
func (h *Hub) Adapter() *Adapter {
	return &Adapter{hub: h, queue: make(chan delivery, queueSize), stop: make(chan struct{}), done: make(chan struct{})}
}

// SetDown simulates a broker outage: while err is non-nil every Publish
// fails with it and nothing is delivered. SetDown(nil) ends the outage.
func (h *Hub) SetDown(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = err
}

// queueSize bounds the messages waiting for one subscriber; a publisher
// waits for room (within its context) rather than dropping.
const queueSize = 4096

// Adapter is one node's connection to a Hub.
type Adapter struct {
	hub        *Hub
	channels   map[string]bool // set by Subscribe, read-only after
	deliver    func(channel string, msg []byte)
	streams    map[string]bool // set by SubscribeLogs, read-only after
	deliverLog func(stream string, e adapter.LogEntry)
	queue      chan delivery
	stop       chan struct{}
	done       chan struct{}
	started    bool // run is running; guarded by hub.mu
	once       sync.Once
}

// delivery is a message for deliver, or a log entry for deliverLog.
type delivery struct {
	channel string
	msg     []byte
	entry   *adapter.LogEntry
}

// ErrClosed is returned by an adapter used after Close.
var ErrClosed = errors.New("memory adapter: closed")

// Subscribe implements middleware.Adapter.
func (a *Adapter) Subscribe(ctx context.Context, channels []string, deliver func(channel string, msg []byte)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	if a.channels != nil {
		return errors.New("memory adapter: Subscribe called twice")
	}
	select {
	case <-a.stop:
		return ErrClosed
	default:
	}
	a.channels = make(map[string]bool, len(channels))
	for _, ch := range channels {
		a.channels[ch] = true
	}
	a.deliver = deliver
	a.startLocked()
	return nil
}

// startLocked joins the hub's subscribers and starts run, once; the
// caller holds hub.mu.
func (a *Adapter) startLocked() {
	if a.started {
		return
	}
	a.started = true
	a.hub.subs = append(a.hub.subs, a)
	go a.run()
}

// run hands the queue over, one delivery at a time.
func (a *Adapter) run() {
	defer close(a.done)
	for {
		select {
		case d := <-a.queue:
			if d.entry != nil {
				a.deliverLog(d.channel, *d.entry)
			} else {
				a.deliver(d.channel, d.msg)
			}
		case <-a.stop:
			return
		}
	}
}

// Publish implements middleware.Adapter: it copies msg to every subscriber
// of channel, waiting for room in their queues until ctx ends.
func (a *Adapter) Publish(ctx context.Context, channel string, msg []byte) error {
	select {
	case <-a.stop:
		return ErrClosed
	default:
	}
	a.hub.mu.RLock()
	defer a.hub.mu.RUnlock()
	if a.hub.down != nil {
		return a.hub.down
	}
	for _, sub := range a.hub.subs {
		if !sub.channels[channel] {
			continue
		}
		select {
		case sub.queue <- delivery{channel: channel, msg: slices.Clone(msg)}:
		case <-sub.stop: // closing: it delivers nothing more
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close implements middleware.Adapter.
func (a *Adapter) Close() error {
	a.once.Do(func() {
		close(a.stop)
		a.hub.mu.Lock()
		subscribed := a.started
		a.hub.subs = slices.DeleteFunc(a.hub.subs, func(s *Adapter) bool { return s == a })
		a.hub.mu.Unlock()
		if subscribed {
			<-a.done
		}
	})
	return nil
}
