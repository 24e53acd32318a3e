package middleware

import (
	"context"
	"time"

	"github.com/eventwire/eventwire/middleware/adapter"
)

// RecoveryAdapter is an Adapter that also keeps what connection state
// recovery (Config.Recovery) needs in the broker, so that a client can
// recover its session on any node of the cluster, including after the
// node that held it was killed: an ordered log per namespace, and the
// sessions. middleware/adapter/redis (Redis Streams and keys),
// middleware/adapter/nats (JetStream streams and a key-value bucket) and
// middleware/adapter/memory implement it. docs/RECOVERY.md has the design.
//
// With recovery on, every event the server sends without an ack id goes
// through the log, on the node that emits it as on the others: AppendLog
// gives it its place, and each node delivers the entries SubscribeLogs
// hands it, in that order. So every recipient on every node gets a
// namespace's events in one order, the order of their offsets.
//
// Names (streams, session keys) are the runtime's; an adapter maps them to
// its broker's, one to one.
type RecoveryAdapter interface {
	Adapter

	// SubscribeLogs makes the logs named streams ready, trimmed to limits
	// from then on, and starts handing deliver every entry appended to them
	// after it returns, one at a time, in each log's order. It returns the
	// state of each log (in the order of streams), creating one that does
	// not exist. It is called once, before the other log methods. After an
	// outage the adapter subscribes again by itself; entries appended in
	// the meantime may not be handed over (the runtime reads them with
	// ReadLog when it sees the gap in the seqs).
	SubscribeLogs(ctx context.Context, streams []string, limits LogLimits, deliver func(stream string, e LogEntry)) ([]LogState, error)
	// AppendLog appends msgs to the log of stream, in order, each under the
	// next seq of its epoch, and trims the log to its limits; it returns once
	// the broker holds them. msgs must not be retained after it returns.
	AppendLog(ctx context.Context, stream string, msgs [][]byte) error
	// ReadLog returns the state of the log of stream and its entries after
	// seq, oldest first, at most limit of them. It never skips an entry it
	// still holds: the first returned is seq+1 unless the log no longer
	// holds it (then the caller compares State.First).
	ReadLog(ctx context.Context, stream string, after uint64, limit int) (LogState, []LogEntry, error)

	// PutSession stores value under key for ttl on behalf of owner, unless
	// another owner holds key: then it stores nothing and returns false.
	PutSession(ctx context.Context, key, owner string, value []byte, ttl time.Duration) (bool, error)
	// TakeSession makes owner the holder of key, for ttl, and returns the
	// value key held (nil when there was none: then nothing is stored).
	// Once it returns, a PutSession by the former owner fails.
	TakeSession(ctx context.Context, key, owner string, ttl time.Duration) ([]byte, error)
	// DeleteSession removes key if owner holds it.
	DeleteSession(ctx context.Context, key, owner string) error
}

// The types of RecoveryAdapter's methods. They are defined in package
// middleware/adapter, which imports nothing of the runtime, so that an
// adapter can implement RecoveryAdapter in a package the runtime's own
// tests import.
type (
	LogLimits = adapter.LogLimits
	LogEntry  = adapter.LogEntry
	LogState  = adapter.LogState
)
