// Package redis is the middleware.Adapter over Redis pub/sub, with the
// go-redis v9 client: every Server of a cluster connects to the same
// Redis, and what one publishes reaches the others.
//
//	a, err := redis.New("redis://127.0.0.1:6379")
//	srv, err := middleware.New(schema, middleware.WithAdapter(a, middleware.AdapterOptions{}))
//
// Channel names are the runtime's, unchanged (docs/CLUSTER.md). Pub/sub
// delivers at most once: a message published while a subscriber is cut off
// is lost for it. The subscription reconnects and subscribes again by
// itself when Redis is back; a connection that stops answering pings is
// replaced.
//
// # Recovery
//
// The adapter is a middleware.RecoveryAdapter. For each log the runtime
// names stream (e.g. "eventwire#log#/chat") it keeps two keys:
//
//   - {stream}:log, a Redis stream: entry <seq>-0 holds the message (field
//     m) and the time it was appended (t, Redis's clock in milliseconds);
//   - {stream}:meta, a hash: the log's epoch (random hex), top (the last
//     seq given) and bytes (the size of the messages kept).
//
// Each append is one Lua script: it numbers the messages, adds them,
// publishes each on the channel named stream ("<epoch> <seq> <msg>"), and
// trims the log exactly to its limits (oldest first). Redis runs one
// script at a time and hands a subscriber its messages in order, so every
// node sees a log's entries in seq order. Entries older than the age limit
// also count as gone for reads. The meta hash never expires, so a quiet
// log keeps its epoch; a meta hash that has gone (Redis lost its data)
// is made anew with a new epoch, and the old entries are dropped.
//
// A session key (e.g. "eventwire#session#/chat#<pid>") is kept as the
// hash {key}:session (fields owner and value), which expires after the
// session's ttl.
//
// Redis without persistence loses the logs and the sessions when it
// restarts: the logs come back under new epochs, so clients holding
// offsets of the old ones, or pids Redis no longer knows, get fresh
// sessions. With Redis Cluster, the hash tags keep each log's keys in one
// slot (as the scripts need); the live channel is a plain PUBLISH, which
// the cluster forwards to every node.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/eventwire/eventwire/middleware"
)

// Adapter publishes and subscribes through one Redis client. It is a
// middleware.RecoveryAdapter: see the package comment for what it keeps.
type Adapter struct {
	client    goredis.UniversalClient
	ownClient bool

	mu     sync.Mutex
	sub    *subscription // Subscribe's; nil until then
	logSub *subscription // SubscribeLogs'; nil until then
	closed bool

	limits atomic.Pointer[middleware.LogLimits] // nil until SubscribeLogs
}

var _ middleware.RecoveryAdapter = (*Adapter)(nil)

var errClosed = errors.New("eventwire: redis adapter: closed")

// Timing of the subscriber. A silent subscription is pinged after
// healthCheck and replaced if no pong follows within another; a failing
// one is retried with backoff from retryMin to retryMax.
const (
	healthCheck  = 15 * time.Second
	retryMin     = 50 * time.Millisecond
	retryMax     = 2 * time.Second
	checkTimeout = 5 * time.Second
)

// New connects to the Redis at url (redis://[user:password@]host:port[/db],
// or rediss:// for TLS) and checks it answers within 5 seconds. The
// adapter owns the client: Close closes it.
func New(url string) (*Adapter, error) {
	opt, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("eventwire: redis adapter: %w", err)
	}
	client := goredis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("eventwire: redis adapter: %s: %w", opt.Addr, err)
	}
	a := FromClient(client)
	a.ownClient = true
	return a, nil
}

// FromClient returns an adapter on a client the caller configured (a
// single node, Sentinel or Cluster client). Close leaves the client open.
func FromClient(client goredis.UniversalClient) *Adapter {
	return &Adapter{client: client}
}

// Subscribe implements middleware.Adapter: it returns once Redis has
// confirmed every subscription.
func (a *Adapter) Subscribe(ctx context.Context, channels []string, deliver func(channel string, msg []byte)) error {
	if err := a.canSubscribe(&a.sub, "Subscribe"); err != nil {
		return err
	}
	s, err := subscribe(ctx, a.client, channels)
	if err != nil {
		return err
	}
	return a.start(&a.sub, "Subscribe", s, func(m *goredis.Message) { deliver(m.Channel, []byte(m.Payload)) })
}

// canSubscribe fails when the adapter is closed or *slot is taken: a
// quick check before subscribing, which start repeats.
func (a *Adapter) canSubscribe(slot **subscription, method string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.free(slot, method)
}

// start stores s in *slot, so that Close ends it, and starts its receive
// goroutine with deliver. It closes s instead when the adapter was closed,
// or *slot taken, while s was subscribing.
func (a *Adapter) start(slot **subscription, method string, s *subscription, deliver func(*goredis.Message)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.free(slot, method); err != nil {
		s.close()
		return err
	}
	*slot = s
	s.start(deliver)
	return nil
}

// free fails when the adapter is closed or *slot is taken. a.mu is held.
func (a *Adapter) free(slot **subscription, method string) error {
	switch {
	case a.closed:
		return errClosed
	case *slot != nil:
		return fmt.Errorf("eventwire: redis adapter: %s called twice", method)
	}
	return nil
}

// subscription is one PubSub connection and the goroutine that receives
// from it, from start to close.
type subscription struct {
	client   goredis.UniversalClient
	channels []string

	mu     sync.Mutex
	ps     *goredis.PubSub // nil once closed
	cancel context.CancelFunc
	done   chan struct{} // nil until start; closed when receive ends
}

// subscribe subscribes to channels and waits for Redis's confirmations, so
// a message published after it returns is delivered once the subscription
// starts.
func subscribe(ctx context.Context, client goredis.UniversalClient, channels []string) (*subscription, error) {
	ps := client.Subscribe(ctx, channels...)
	for confirmed := 0; confirmed < len(channels); {
		m, err := ps.Receive(ctx)
		if err != nil {
			_ = ps.Close()
			return nil, fmt.Errorf("eventwire: redis adapter: subscribe: %w", err)
		}
		if _, ok := m.(*goredis.Subscription); ok {
			confirmed++
		}
	}
	return &subscription{client: client, channels: channels, ps: ps}, nil
}

// start starts the goroutine that hands deliver each message, one at a
// time.
func (s *subscription) start(deliver func(*goredis.Message)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.receive(ctx, deliver)
}

// receive is the subscriber goroutine: it hands each message to deliver,
// retries with backoff while Redis is unreachable (go-redis dials again
// and re-subscribes on the next receive), and replaces a connection that
// stays silent after a ping.
func (s *subscription) receive(ctx context.Context, deliver func(*goredis.Message)) {
	defer close(s.done)
	backoff, pinged := time.Duration(0), false
	for ctx.Err() == nil {
		ps := s.pubSub()
		if ps == nil {
			return
		}
		m, err := ps.ReceiveTimeout(ctx, healthCheck)
		switch {
		case err == nil:
			backoff, pinged = 0, false
			if msg, ok := m.(*goredis.Message); ok {
				deliver(msg)
			}
		case errors.Is(err, goredis.ErrClosed) || ctx.Err() != nil:
			return
		case isTimeout(err) && !pinged:
			pinged = true
			_ = ps.Ping(ctx)
		case isTimeout(err):
			s.replace(ctx) // no pong: a half-open connection
			pinged = false
		default:
			backoff = min(max(2*backoff, retryMin), retryMax)
			sleep(ctx, backoff)
		}
	}
}

// replace swaps a silent subscription for a new one.
func (s *subscription) replace(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ps == nil {
		return
	}
	_ = s.ps.Close()
	s.ps = s.client.Subscribe(ctx, s.channels...) // connects lazily: receive retries until it can
}

// pubSub returns the current PubSub, nil once closed.
func (s *subscription) pubSub() *goredis.PubSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ps
}

// close ends the subscription and waits for its goroutine, if started.
func (s *subscription) close() {
	s.mu.Lock()
	ps, done := s.ps, s.done
	s.ps = nil
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	if done != nil {
		<-done
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Publish implements middleware.Adapter with PUBLISH.
func (a *Adapter) Publish(ctx context.Context, channel string, msg []byte) error {
	return a.client.Publish(ctx, channel, msg).Err()
}

// Close implements middleware.Adapter: it ends the subscriptions and
// their goroutines, and closes the client if New made it.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	subs := []*subscription{a.sub, a.logSub}
	a.mu.Unlock()
	for _, s := range subs {
		if s != nil {
			s.close()
		}
	}
	if a.ownClient {
		return a.client.Close()
	}
	return nil
}
