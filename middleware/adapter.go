package middleware

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Adapter carries messages between the Servers of a cluster (several
// processes serving the same schema behind a load balancer) over a broker's
// publish/subscribe: middleware/adapter/redis and middleware/adapter/nats
// implement it, middleware/adapter/memory joins Servers of one process. It
// is transport only: the runtime decides the channels, encodes every
// message and keeps room membership local to the node holding a
// connection (docs/CLUSTER.md).
//
// Delivery is at most once, and in publish order from one publisher to
// one subscriber on one channel, as broker pub/sub delivers.
type Adapter interface {
	// Subscribe starts delivering the messages published on channels to
	// deliver, and returns once the subscriptions are in place (a message
	// published after it returns reaches deliver), or with an error if
	// they cannot be made before ctx ends. It is called once. deliver is
	// called from one goroutine at a time, in order; it owns msg, which the
	// adapter must not touch after handing it over. After a broker outage the
	// adapter subscribes again by itself.
	Subscribe(ctx context.Context, channels []string, deliver func(channel string, msg []byte)) error
	// Publish sends msg on channel to every subscriber (this node's
	// included), or fails: an error means the message is lost. It is
	// called from one goroutine at a time; msg must not be retained after it
	// returns.
	Publish(ctx context.Context, channel string, msg []byte) error
	// Close ends the subscriptions and the adapter's goroutines; deliver is
	// not called once Close has returned.
	Close() error
}

// AdapterOptions configure how a Server uses its Adapter. A zero field
// takes its default.
type AdapterOptions struct {
	// Prefix starts every channel name, so several applications can share
	// a broker; nodes of one cluster must use the same. Default "eventwire".
	Prefix string
	// QueueSize bounds the messages waiting to be published, and
	// QueueBytes their bytes. Publishing never blocks a connection: an emit
	// that finds the queue full is still delivered on this node and returns
	// ErrClusterPublish. The queue takes memory only while messages wait,
	// so the bounds are set for bursts (a client's thousands of chat lines
	// arrive faster than a broker round trip). Default 65536 messages and
	// 16 MiB.
	QueueSize  int
	QueueBytes int64
	// Heartbeat is how often the node tells the cluster it is alive; a node
	// unheard of for three heartbeats is gone, and ClusterLen and
	// ClusterRoomMembers stop waiting for it. Nodes of one cluster should
	// use the same. Default 5s.
	Heartbeat time.Duration
	// PublishTimeout bounds one publish to the broker. Default 5s.
	PublishTimeout time.Duration
}

// The AdapterOptions defaults.
const (
	DefaultAdapterPrefix  = "eventwire"
	defaultQueueSize      = 65536
	defaultQueueBytes     = 16 << 20
	defaultHeartbeat      = 5 * time.Second
	defaultPublishTimeout = 5 * time.Second
)

// ErrClusterPublish: a message for the other nodes of the cluster was not
// published (the broker is unreachable, or the publish queue is full). The
// emit reached this node's recipients all the same.
var ErrClusterPublish = errors.New("eventwire: cluster publish failed")

// RemoteSocket is a socket of the cluster, on this node or another.
type RemoteSocket struct {
	ID   string // the Socket.IO socket id
	Node string // the id of the node (Server.NodeID) that holds it
	// data holds the values of the socket's recoverable keys
	// (NewRecoverableKey), a JSON object by key name, as socket.io's
	// RemoteSocket.data does; Key.Remote reads one.
	data string
}

// WithAdapter joins the Server to a cluster through a (see Adapter). The
// Server owns a from then on: Shutdown and Close close it after the
// connections, and New closes it when it fails. A nil a keeps the Server a
// single node, as without the option.
func WithAdapter(a Adapter, o AdapterOptions) Option {
	return func(opts *options) {
		opts.adapter, opts.adapterOpts = a, o
	}
}

func (o AdapterOptions) withDefaults() (AdapterOptions, error) {
	if o.Prefix == "" {
		o.Prefix = DefaultAdapterPrefix
	}
	if o.QueueSize == 0 {
		o.QueueSize = defaultQueueSize
	}
	if o.QueueBytes == 0 {
		o.QueueBytes = defaultQueueBytes
	}
	if o.Heartbeat == 0 {
		o.Heartbeat = defaultHeartbeat
	}
	if o.PublishTimeout == 0 {
		o.PublishTimeout = defaultPublishTimeout
	}
	switch {
	case strings.Contains(o.Prefix, "#"):
		return o, fmt.Errorf("eventwire: adapter: prefix %q must not contain '#'", o.Prefix)
	case o.QueueSize < 0 || o.QueueBytes < 0 || o.Heartbeat < 0 || o.PublishTimeout < 0:
		return o, errors.New("eventwire: adapter: QueueSize, QueueBytes, Heartbeat and PublishTimeout must not be negative")
	}
	return o, nil
}

// NodeID returns the id of this Server in its cluster: random, new with
// every New. RemoteSocket.Node holds such ids.
func (s *Server) NodeID() string { return s.root.node }
