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
package nats

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	natsgo "github.com/nats-io/nats.go"
)

// Adapter publishes and subscribes through one NATS connection.
type Adapter struct {
	nc       *natsgo.Conn
	ownConn  bool
	subjects map[string]string // channel -> Subject; Publish's goroutine only

	mu     sync.Mutex
	subs   []*natsgo.Subscription
	closed bool
	stop   chan struct{}
	done   chan struct{}
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
	return &Adapter{nc: nc, subjects: make(map[string]string), stop: make(chan struct{}), done: make(chan struct{})}
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

// Close implements middleware.Adapter: it ends the subscriptions and the
// goroutine, and closes the connection if New made it.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	subscribed := a.subs != nil
	a.unsubscribeLocked()
	close(a.stop)
	a.mu.Unlock()
	if subscribed {
		<-a.done
	}
	if a.ownConn {
		a.nc.Close()
	}
	return nil
}
