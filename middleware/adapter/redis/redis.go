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
package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Adapter publishes and subscribes through one Redis client.
type Adapter struct {
	client    goredis.UniversalClient
	ownClient bool

	mu     sync.Mutex
	ps     *goredis.PubSub // nil until Subscribe, and after Close
	closed bool
	cancel context.CancelFunc
	done   chan struct{}
}

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
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return errors.New("eventwire: redis adapter: closed")
	case a.ps != nil:
		return errors.New("eventwire: redis adapter: Subscribe called twice")
	}
	ps, err := subscribe(ctx, a.client, channels)
	if err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	a.ps, a.cancel, a.done = ps, cancel, make(chan struct{})
	go a.receive(loopCtx, channels, deliver)
	return nil
}

// subscribe subscribes to channels and waits for Redis's confirmations, so
// a message published after it returns is delivered.
func subscribe(ctx context.Context, client goredis.UniversalClient, channels []string) (*goredis.PubSub, error) {
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
	return ps, nil
}

// receive is the subscriber goroutine: it hands each message to deliver,
// retries with backoff while Redis is unreachable (go-redis dials again
// and re-subscribes on the next receive), and replaces a connection that
// stays silent after a ping.
func (a *Adapter) receive(ctx context.Context, channels []string, deliver func(string, []byte)) {
	defer close(a.done)
	backoff, pinged := time.Duration(0), false
	for ctx.Err() == nil {
		ps := a.pubSub()
		if ps == nil {
			return
		}
		m, err := ps.ReceiveTimeout(ctx, healthCheck)
		switch {
		case err == nil:
			backoff, pinged = 0, false
			if msg, ok := m.(*goredis.Message); ok {
				deliver(msg.Channel, []byte(msg.Payload))
			}
		case errors.Is(err, goredis.ErrClosed) || ctx.Err() != nil:
			return
		case isTimeout(err) && !pinged:
			pinged = true
			_ = ps.Ping(ctx)
		case isTimeout(err):
			a.replace(ctx, channels) // no pong: a half-open connection
			pinged = false
		default:
			backoff = min(max(2*backoff, retryMin), retryMax)
			sleep(ctx, backoff)
		}
	}
}

// replace swaps a silent subscription for a new one.
func (a *Adapter) replace(ctx context.Context, channels []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	_ = a.ps.Close()
	a.ps = a.client.Subscribe(ctx, channels...) // connects lazily: receive retries until it can
}

func (a *Adapter) pubSub() *goredis.PubSub {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ps
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

// Close implements middleware.Adapter: it ends the subscription and its
// goroutine, and closes the client if New made it.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	ps, done := a.ps, a.done
	if a.cancel != nil {
		a.cancel()
	}
	a.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
		<-done
	}
	if a.ownClient {
		return a.client.Close()
	}
	return nil
}
