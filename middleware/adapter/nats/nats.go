// Package nats is the middleware.Adapter over NATS core subjects, with
// nats.go: every Server of a cluster connects to the same NATS (server or
// cluster), and what one publishes reaches the others.
//
//	a, err := nats.New("nats://127.0.0.1:4222")
//	srv, err := middleware.New(schema, middleware.WithAdapter(a, middleware.AdapterOptions{}))
//
// Channel names become subjects by Subject. Core NATS delivers at most
// once: a message published while a subscriber is cut off is lost for it.
// The connection reconnects for ever and subscribes again by itself; while
// it is disconnected publishes fail at once (nothing is buffered), so the
// runtime counts them and tells its callers.
//
// # Recovery
//
// The Adapter is a middleware.RecoveryAdapter: it keeps what connection
// state recovery needs in JetStream, so the NATS server(s) must run with
// JetStream on (nats-server -js -sd <dir>).
//
//   - Each log is a stream named StreamName(log), e.g.
//     "eventwire#log#~2Fchat", whose one subject is Subject(log), e.g.
//     "eventwire.log.~2Fchat" (never a subject of the pub/sub channels). It
//     uses file storage, discards its oldest entries past LogLimits
//     (MaxMsgs, MaxBytes plus the store's per-message overhead, MaxAge) and
//     denies deleting single messages, so an entry's seq is its stream
//     sequence, contiguous from 1. The epoch is the stream's creation time.
//     The stream republishes each entry to Subject(log)+".~live", which
//     every node subscribes to for live delivery (put back in seq order).
//   - Sessions are in the key-value bucket SessionBucket
//     ("eventwire_sessions", file storage), under SessionKey(key). Each
//     value holds its owner and its deadline (unix ms by the writing node's
//     clock: the nodes' clocks must agree to well under a second), since
//     JetStream 2.9 has no per-key TTL; the bucket's TTL, SessionMaxAge,
//     removes what nobody wrote for a day and bounds the ttl a session
//     may have (so recovery_max_disconnection must stay under about 16
//     hours: a live session's ttl is 1.5 times the window). Writes are compare-and-set on the key's revision.
//
// A nats-server restarted with its store keeps the logs (and their epochs)
// and the sessions: clients recover exactly (entries appended during the
// outage are not delivered live; the runtime reads them with ReadLog). A
// server that lost its store has new streams, of new epochs, made again by
// the next append, and no sessions: clients get fresh sessions. The
// streams and the bucket have one replica; on a NATS cluster raise their
// replicas (nats stream edit) to survive the loss of a server.
package nats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Adapter publishes and subscribes through one NATS connection.
type Adapter struct {
	nc       *natsgo.Conn
	ownConn  bool
	subjects map[string]string // channel -> Subject; Publish's goroutine only

	js jetstream.JetStream

	mu       sync.Mutex
	subs     []*natsgo.Subscription
	logs     map[string]*logStream // the runtime's name -> its log, set by SubscribeLogs
	logSubs  []*natsgo.Subscription
	closed   bool
	stop     chan struct{}
	done     chan struct{}   // closed when receive returns
	logsDone chan struct{}   // closed when deliverLogs returns
	ctx      context.Context // for requests of the adapter's own; canceled by Close
	cancel   context.CancelFunc

	kvMu sync.Mutex
	kv   jetstream.KeyValue // the session bucket, once made
}

// pendingMessages bounds the messages received and not yet delivered;
// past it NATS drops messages for this subscriber (a slow consumer).
const pendingMessages = 65536

// New connects to the NATS server(s) at url (comma-separated for
// several) with opts after the adapter's defaults: reconnect for ever
// every 250ms (with jitter), and no reconnect buffer, so a publish while
// disconnected fails instead of waiting unseen. The adapter owns the
// connection: Close closes it.
func New(url string, opts ...natsgo.Option) (*Adapter, error) {
	all := append([]natsgo.Option{
		natsgo.Name("eventwire"),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(250 * time.Millisecond),
		natsgo.ReconnectBufSize(-1),
	}, opts...)
	nc, err := natsgo.Connect(url, all...)
	if err != nil {
		return nil, fmt.Errorf("eventwire: nats adapter: %w", err)
	}
	a := FromConn(nc)
	a.ownConn = true
	return a, nil
}

// FromConn returns an adapter on a connection the caller configured; Close
// leaves it open. Give it MaxReconnects(-1) and ReconnectBufSize(-1), as
// New does, or a publish during an outage may be buffered and lost unseen.
func FromConn(nc *natsgo.Conn) *Adapter {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(appendAckTimeout))
	if err != nil {
		panic("eventwire: nats adapter: " + err.Error()) // only invalid options fail
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Adapter{
		nc: nc, js: js, subjects: make(map[string]string),
		stop: make(chan struct{}), done: make(chan struct{}), logsDone: make(chan struct{}),
		ctx: ctx, cancel: cancel,
	}
}

// Subject maps a channel name to a NATS subject. Channel names hold '#'
// and '/' (namespaces), which subjects must not: each '#'-separated part
// becomes a token, and in a token every byte but [A-Za-z0-9_-] is written
// ~XX (hex), an empty part "~". So "eventwire#/admin#" is
// "eventwire.~2Fadmin.~" and "eventwire#node#k3J" is "eventwire.node.k3J";
// distinct channels give distinct subjects.
func Subject(channel string) string {
	var b strings.Builder
	for i, part := range strings.Split(channel, "#") {
		if i > 0 {
			b.WriteByte('.')
		}
		if part == "" {
			b.WriteByte('~')
			continue
		}
		for j := 0; j < len(part); j++ {
			switch c := part[j]; {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
				b.WriteByte(c)
			default:
				fmt.Fprintf(&b, "~%02X", c)
			}
		}
	}
	return b.String()
}

// Subscribe implements middleware.Adapter: it subscribes to each channel's
// subject and returns once the server has them (a flush).
func (a *Adapter) Subscribe(ctx context.Context, channels []string, deliver func(channel string, msg []byte)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return errors.New("eventwire: nats adapter: closed")
	case a.subs != nil:
		return errors.New("eventwire: nats adapter: Subscribe called twice")
	}
	// One channel for every subscription: NATS's reader fills it in
	// arrival order and one goroutine delivers, so deliver never runs twice at once.
	in := make(chan *natsgo.Msg, pendingMessages)
	names := make(map[string]string, len(channels))
	for _, ch := range channels {
		subject := Subject(ch)
		names[subject] = ch
		sub, err := a.nc.ChanSubscribe(subject, in)
		if err != nil {
			a.unsubscribeLocked()
			return fmt.Errorf("eventwire: nats adapter: subscribe %s: %w", subject, err)
		}
		a.subs = append(a.subs, sub)
	}
	if err := a.nc.FlushWithContext(ctx); err != nil {
		a.unsubscribeLocked()
		return fmt.Errorf("eventwire: nats adapter: subscribe: %w", err)
	}
	go a.receive(in, names, deliver)
	return nil
}

func (a *Adapter) receive(in <-chan *natsgo.Msg, names map[string]string, deliver func(string, []byte)) {
	defer close(a.done)
	for {
		select {
		case m := <-in:
			if ch, ok := names[m.Subject]; ok {
				deliver(ch, m.Data) // nats.go allocates Data per message: deliver may keep it
			}
		case <-a.stop:
			return
		}
	}
}

func (a *Adapter) unsubscribeLocked() {
	for _, sub := range a.subs {
		_ = sub.Unsubscribe()
	}
	a.subs = nil
}

// Publish implements middleware.Adapter. A core NATS publish is written to
// the connection's buffer, not acknowledged; it fails when the connection
// is down or msg exceeds the server's max_payload (1 MB by default).
func (a *Adapter) Publish(ctx context.Context, channel string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	subject, ok := a.subjects[channel]
	if !ok {
		if len(a.subjects) >= 4096 { // peers' reply channels come and go
			clear(a.subjects)
		}
		subject = Subject(channel)
		a.subjects[channel] = subject
	}
	return a.nc.Publish(subject, msg)
}

// Close implements middleware.Adapter: it ends the subscriptions, the log
// consumers and the goroutines, fails the appends still waiting for acks,
// and closes the connection if New made it.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	subscribed, logging := a.subs != nil, a.logs != nil
	a.unsubscribeLocked()
	for _, sub := range a.logSubs {
		_ = sub.Unsubscribe()
	}
	close(a.stop)
	a.cancel()
	a.mu.Unlock()
	if subscribed {
		<-a.done
	}
	if logging {
		<-a.logsDone
	}
	a.js.CleanupPublisher()
	if a.ownConn {
		a.nc.Close()
	}
	return nil
}
