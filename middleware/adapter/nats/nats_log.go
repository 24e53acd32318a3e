package nats

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/eventwire/eventwire/middleware"
)

const (
	// SessionBucket is the JetStream key-value bucket that holds the
	// recovery sessions.
	SessionBucket = "eventwire_sessions"
	// SessionMaxAge is the bucket's TTL: a key nobody wrote for that long is
	// removed, whatever its deadline. It is the longest ttl PutSession and
	// TakeSession accept.
	SessionMaxAge = 24 * time.Hour

	// requestTimeout bounds the JetStream requests the adapter makes without
	// a caller's context (an epoch read during delivery, a consumer's
	// deletion after a read).
	requestTimeout = 5 * time.Second
	// appendAckTimeout bounds how long an appended message waits for its ack
	// in the publisher's books when the caller stopped waiting for it.
	appendAckTimeout = 30 * time.Second
	// duplicateWindow is the streams' de-duplication window. The adapter sets
	// no message ids, so it only needs to be small.
	duplicateWindow = time.Second
	// recordOverhead is what the file store adds to each message's size,
	// besides its subject, when it counts a stream's bytes (record length,
	// seq, time, subject length and hash). MaxBytes is raised by it per
	// entry, so a log keeps LogLimits.MaxBytes of messages, not fewer.
	recordOverhead = 30
	// reorderWait is how long an entry past a gap waits for the gap to fill
	// before it is delivered all the same; maxHeld bounds the entries that
	// wait.
	reorderWait = 200 * time.Millisecond
	maxHeld     = 4096
	// maxStreamName bounds a JetStream stream name: it names a directory of
	// the file store.
	maxStreamName = 255
)

// StreamName maps a log's name to its JetStream stream name: Subject with
// each '.' written '#'. So "eventwire#log#/chat" is "eventwire#log#~2Fchat";
// '#' is not in Subject's alphabet, so distinct logs give distinct streams.
func StreamName(stream string) string {
	return strings.ReplaceAll(Subject(stream), ".", "#")
}

// SessionKey maps a session key to its key in SessionBucket: Subject with
// each '~' written '='. So "eventwire#session#/chat#k3J" is
// "eventwire.session.=2Fchat.k3J"; '=' is not in Subject's alphabet, so
// distinct keys give distinct bucket keys.
func SessionKey(key string) string {
	return strings.ReplaceAll(Subject(key), "~", "=")
}

// liveToken ends the subject a log's stream republishes its entries to.
// Subject never writes a token "~live" ('~' is followed by two hex digits
// or ends an empty part), so no channel or log has that subject.
const liveToken = ".~live"

// logStream is one log: its names and, once SubscribeLogs made it, its
// configuration and, for delivery, the epoch and the last seq delivered.
type logStream struct {
	name    string // the runtime's
	jsName  string // StreamName(name)
	subject string // Subject(name): appends go there
	live    string // subject + liveToken: the stream republishes each entry there
	cfg     *jetstream.StreamConfig

	// deliverLogs's goroutine only, once SubscribeLogs returned:
	epoch     string
	last      uint64            // the seq last delivered (at first the state's Last)
	held      map[uint64][]byte // entries past a gap, by seq
	heldSince time.Time         // when the gap was seen
}

func newLogStream(name string) (*logStream, error) {
	subject := Subject(name)
	ls := &logStream{name: name, jsName: StreamName(name), subject: subject, live: subject + liveToken}
	if len(ls.jsName) > maxStreamName {
		return nil, fmt.Errorf("eventwire: nats adapter: log %q: stream name %s longer than %d bytes", name, ls.jsName, maxStreamName)
	}
	return ls, nil
}

// streamConfig is the stream of ls bounded by limits (a limit <= 0 is none).
func (ls *logStream) streamConfig(limits middleware.LogLimits) *jetstream.StreamConfig {
	cfg := &jetstream.StreamConfig{
		Name:        ls.jsName,
		Description: "eventwire recovery log " + ls.name,
		Subjects:    []string{ls.subject},
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		MaxAge:      max(limits.MaxAge, 0),
		Duplicates:  duplicateWindow,
		DenyDelete:  true, // seqs stay contiguous: only trimming removes entries
		RePublish:   &jetstream.RePublish{Source: ls.subject, Destination: ls.live},
	}
	if limits.MaxEntries > 0 {
		cfg.MaxMsgs = int64(limits.MaxEntries)
	}
	if limits.MaxBytes > 0 {
		cfg.MaxBytes = limits.MaxBytes
		if limits.MaxEntries > 0 {
			cfg.MaxBytes += int64(limits.MaxEntries) * int64(len(ls.subject)+recordOverhead)
		}
	}
	if cfg.MaxAge > 0 && cfg.MaxAge < cfg.Duplicates {
		cfg.Duplicates = cfg.MaxAge
	}
	return cfg
}

// epochOf is the epoch of a stream: its creation time, which the file store
// keeps across a restart.
func epochOf(info *jetstream.StreamInfo) string {
	return strconv.FormatInt(info.Created.UnixNano(), 36)
}

func logState(info *jetstream.StreamInfo) middleware.LogState {
	st := middleware.LogState{Epoch: epochOf(info), First: info.State.FirstSeq, Last: info.State.LastSeq}
	if info.State.Msgs == 0 {
		st.First = st.Last + 1
	}
	return st
}

// SubscribeLogs implements middleware.RecoveryAdapter. Each log is a
// JetStream stream (file storage) created or updated to limits, which
// republishes every entry it stores, with its seq, to a core subject the
// adapter subscribes to: live delivery never waits for a consumer, so an
// entry trimmed at once is delivered all the same, and entries are put
// back in seq order before deliver gets them (receiveEntry). The subscriptions are
// made (and flushed) before the states are read, and entries up to a
// state's Last are not delivered. The connection subscribes again after an
// outage by itself; what was appended meanwhile is not delivered.
func (a *Adapter) SubscribeLogs(ctx context.Context, streams []string, limits middleware.LogLimits, deliver func(stream string, e middleware.LogEntry)) ([]middleware.LogState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.closed:
		return nil, errors.New("eventwire: nats adapter: closed")
	case a.logs != nil:
		return nil, errors.New("eventwire: nats adapter: SubscribeLogs called twice")
	}
	logs := make(map[string]*logStream, len(streams))
	byLive := make(map[string]*logStream, len(streams))
	// As Subscribe: one channel for every log, filled in arrival order, and
	// one goroutine delivers, so deliver never runs twice at once.
	in := make(chan *natsgo.Msg, pendingMessages)
	var subs []*natsgo.Subscription
	fail := func(err error) ([]middleware.LogState, error) {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
		return nil, err
	}
	for _, name := range streams {
		ls, err := newLogStream(name)
		if err != nil {
			return fail(err)
		}
		ls.cfg = ls.streamConfig(limits)
		if _, err := a.js.CreateOrUpdateStream(ctx, *ls.cfg); err != nil {
			return fail(fmt.Errorf("eventwire: nats adapter: log %s: create stream %s: %w", name, ls.jsName, err))
		}
		sub, err := a.nc.ChanSubscribe(ls.live, in)
		if err != nil {
			return fail(fmt.Errorf("eventwire: nats adapter: log %s: subscribe %s: %w", name, ls.live, err))
		}
		subs = append(subs, sub)
		logs[name], byLive[ls.live] = ls, ls
	}
	if err := flush(ctx, a.nc); err != nil {
		return fail(fmt.Errorf("eventwire: nats adapter: subscribe logs: %w", err))
	}
	states := make([]middleware.LogState, len(streams))
	for i, name := range streams {
		ls := logs[name]
		s, err := a.js.Stream(ctx, ls.jsName)
		if err != nil {
			return fail(fmt.Errorf("eventwire: nats adapter: log %s: stream info: %w", name, err))
		}
		states[i] = logState(s.CachedInfo())
		ls.epoch, ls.last = states[i].Epoch, states[i].Last
	}
	a.logs = logs
	a.logSubs = subs
	go a.deliverLogs(in, byLive, deliver)
	return states, nil
}

func (a *Adapter) deliverLogs(in <-chan *natsgo.Msg, byLive map[string]*logStream, deliver func(string, middleware.LogEntry)) {
	defer close(a.logsDone)
	gapTimer := time.NewTimer(reorderWait)
	gapTimer.Stop()
	armed := false
	for {
		select {
		case m := <-in:
			ls := byLive[m.Subject]
			seq, err := strconv.ParseUint(m.Header.Get(jetstream.SequenceHeader), 10, 64)
			if ls == nil || err != nil {
				continue
			}
			a.receiveEntry(ls, seq, m.Data, deliver) // nats.go allocates Data per message: deliver may keep it
			if !armed && len(ls.held) > 0 {
				gapTimer.Reset(reorderWait)
				armed = true
			}
		case <-gapTimer.C:
			armed = false
			now := time.Now()
			for _, ls := range byLive {
				if len(ls.held) > 0 && now.Sub(ls.heldSince) >= reorderWait {
					a.skipGap(ls, deliver)
				}
				if len(ls.held) > 0 && !armed {
					gapTimer.Reset(reorderWait)
					armed = true
				}
			}
		case <-a.stop:
			gapTimer.Stop()
			return
		}
	}
}

// receiveEntry takes the entry seq of ls and delivers what is in order.
// The next seq is delivered with those held after it. One past a gap is
// held: a stream republishes the entries of two connections in the order it
// stored them give or take a few, so the gap fills at once unless entries
// were lost (an outage; skipGap). One before the last delivered is an entry
// older than the state SubscribeLogs read, dropped, or one of a stream made
// anew by a server that lost its store: a new epoch.
func (a *Adapter) receiveEntry(ls *logStream, seq uint64, msg []byte, deliver func(string, middleware.LogEntry)) {
	switch {
	case seq == ls.last+1:
		ls.last = seq
		deliver(ls.name, middleware.LogEntry{Epoch: ls.epoch, Seq: seq, Msg: msg})
		a.deliverHeld(ls, deliver)
	case seq > ls.last+1:
		if len(ls.held) == 0 {
			ls.held = make(map[uint64][]byte)
			ls.heldSince = time.Now()
		}
		ls.held[seq] = msg
		if len(ls.held) >= maxHeld {
			a.skipGap(ls, deliver)
		}
	default:
		epoch := a.readEpoch(ls)
		if epoch == ls.epoch {
			return
		}
		ls.epoch, ls.last, ls.held = epoch, seq, nil
		deliver(ls.name, middleware.LogEntry{Epoch: ls.epoch, Seq: seq, Msg: msg})
	}
}

// skipGap gives up waiting for the entries missing before those held: it
// reads the epoch again (the stream may be new) and delivers from the
// oldest held on. The runtime reads what it missed with ReadLog.
func (a *Adapter) skipGap(ls *logStream, deliver func(string, middleware.LogEntry)) {
	first := uint64(0)
	for seq := range ls.held {
		if first == 0 || seq < first {
			first = seq
		}
	}
	ls.epoch = a.readEpoch(ls)
	ls.last = first - 1
	a.deliverHeld(ls, deliver)
}

// deliverHeld delivers the held entries that follow the last delivered.
func (a *Adapter) deliverHeld(ls *logStream, deliver func(string, middleware.LogEntry)) {
	if len(ls.held) == 0 {
		return
	}
	for {
		msg, ok := ls.held[ls.last+1]
		if !ok {
			break
		}
		delete(ls.held, ls.last+1)
		ls.last++
		deliver(ls.name, middleware.LogEntry{Epoch: ls.epoch, Seq: ls.last, Msg: msg})
	}
	if len(ls.held) > 0 {
		ls.heldSince = time.Now() // the next gap
	} else {
		ls.held = nil
	}
}

// readEpoch reads the epoch of ls from the server, or returns the one known
// when it cannot.
func (a *Adapter) readEpoch(ls *logStream) string {
	ctx, cancel := context.WithTimeout(a.ctx, requestTimeout)
	defer cancel()
	s, err := a.js.Stream(ctx, ls.jsName)
	if err != nil {
		return ls.epoch
	}
	return epochOf(s.CachedInfo())
}

// flush waits until the server has processed what nc sent, within ctx or,
// when ctx has no deadline (FlushWithContext needs one), requestTimeout.
func flush(ctx context.Context, nc *natsgo.Conn) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	return nc.FlushWithContext(ctx)
}

// logStreamFor returns the log of name that SubscribeLogs made, or one it
// did not (its stream must exist).
func (a *Adapter) logStreamFor(name string) (*logStream, error) {
	a.mu.Lock()
	ls := a.logs[name]
	a.mu.Unlock()
	if ls != nil {
		return ls, nil
	}
	return newLogStream(name)
}

// AppendLog implements middleware.RecoveryAdapter: it publishes msgs to the
// stream's subject without waiting in between (a connection keeps their
// order) and then waits for every ack. When the stream is gone (a server
// that lost its store) and none was stored, it makes the stream anew, of a
// new epoch, and publishes them again.
func (a *Adapter) AppendLog(ctx context.Context, stream string, msgs [][]byte) error {
	if len(msgs) == 0 {
		return ctx.Err()
	}
	ls, err := a.logStreamFor(stream)
	if err != nil {
		return err
	}
	stored, err := a.publishLog(ctx, ls, msgs)
	if stored == 0 && ls.cfg != nil && errors.Is(err, jetstream.ErrNoStreamResponse) {
		if _, err := a.js.CreateOrUpdateStream(ctx, *ls.cfg); err != nil {
			return fmt.Errorf("eventwire: nats adapter: log %s: re-create stream %s: %w", stream, ls.jsName, err)
		}
		_, err = a.publishLog(ctx, ls, msgs)
	}
	if err != nil {
		return fmt.Errorf("eventwire: nats adapter: log %s: append: %w", stream, err)
	}
	return nil
}

// publishLog publishes msgs to ls and waits for their acks. It returns how
// many the stream acknowledged, and the first error.
func (a *Adapter) publishLog(ctx context.Context, ls *logStream, msgs [][]byte) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	var err error
	for _, msg := range msgs {
		// No retry: a message published again later could pass the next one.
		f, perr := a.js.PublishAsync(ls.subject, msg, jetstream.WithRetryAttempts(0))
		if perr != nil {
			err = perr
			break
		}
		futures = append(futures, f)
	}
	stored := 0
	for _, f := range futures {
		select {
		case <-f.Ok():
			stored++
		case ferr := <-f.Err():
			if err == nil {
				err = ferr
			}
		case <-ctx.Done():
			return stored, ctx.Err()
		}
	}
	return stored, err
}

// ReadLog implements middleware.RecoveryAdapter: it reads the stream's
// state, then its entries with a short-lived consumer that starts at
// max(after+1, First) and fetches those up to the state's Last.
func (a *Adapter) ReadLog(ctx context.Context, stream string, after uint64, limit int) (middleware.LogState, []middleware.LogEntry, error) {
	ls, err := a.logStreamFor(stream)
	if err != nil {
		return middleware.LogState{}, nil, err
	}
	s, err := a.js.Stream(ctx, ls.jsName)
	if err != nil {
		return middleware.LogState{}, nil, fmt.Errorf("eventwire: nats adapter: log %s: stream info: %w", stream, err)
	}
	st := logState(s.CachedInfo())
	start := max(after+1, st.First)
	if limit <= 0 || start > st.Last {
		return st, nil, nil
	}
	n := int(min(uint64(limit), st.Last-start+1))
	entries, err := a.fetchLog(ctx, ls, start, n, st)
	if err != nil {
		return middleware.LogState{}, nil, fmt.Errorf("eventwire: nats adapter: log %s: read: %w", stream, err)
	}
	// Entries trimmed since the state was read: the log starts later.
	switch {
	case len(entries) == 0:
		st.First = st.Last + 1
	case entries[0].Seq > start:
		st.First = entries[0].Seq
	}
	return st, entries, nil
}

// fetchLog returns up to n entries of ls from seq start on, none past
// st.Last, each under st's epoch.
func (a *Adapter) fetchLog(ctx context.Context, ls *logStream, start uint64, n int, st middleware.LogState) ([]middleware.LogEntry, error) {
	c, err := a.js.CreateConsumer(ctx, ls.jsName, jetstream.ConsumerConfig{
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		AckPolicy:         jetstream.AckNonePolicy,
		MemoryStorage:     true,
		InactiveThreshold: time.Minute, // in case the delete below fails
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
		_ = a.js.DeleteConsumer(dctx, ls.jsName, c.CachedInfo().Name)
		cancel()
	}()
	batch, err := c.FetchNoWait(n)
	if err != nil {
		return nil, err
	}
	entries := make([]middleware.LogEntry, 0, n)
	for {
		select {
		case m, ok := <-batch.Messages():
			if !ok {
				return entries, batch.Error()
			}
			meta, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			if seq := meta.Sequence.Stream; seq <= st.Last {
				entries = append(entries, middleware.LogEntry{Epoch: st.Epoch, Seq: seq, Msg: m.Data()})
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// session is what SessionBucket holds under a key: its owner, until when it
// holds it, and the runtime's value.
type session struct {
	owner    string
	deadline int64 // unix ms
	value    []byte
}

// A session is stored as: version byte 1, the deadline (unix ms, 8 bytes
// big-endian), the owner's length (uvarint), the owner, the value.
const sessionVersion = 1

func (s *session) encode() []byte {
	b := make([]byte, 0, 1+8+binary.MaxVarintLen64+len(s.owner)+len(s.value))
	b = append(b, sessionVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(s.deadline))
	b = binary.AppendUvarint(b, uint64(len(s.owner)))
	b = append(b, s.owner...)
	return append(b, s.value...)
}

func decodeSession(b []byte) (*session, error) {
	if len(b) < 9 || b[0] != sessionVersion {
		return nil, errors.New("malformed session value")
	}
	deadline := int64(binary.BigEndian.Uint64(b[1:9]))
	n, k := binary.Uvarint(b[9:])
	if k <= 0 || n > uint64(len(b)-9-k) {
		return nil, errors.New("malformed session value")
	}
	rest := b[9+k:]
	return &session{owner: string(rest[:n]), deadline: deadline, value: rest[n:]}, nil
}

// live reports whether s holds its key at now (unix ms).
func (s *session) live(now int64) bool { return s != nil && now < s.deadline }

// sessionWrite is what a session update decides: put next, delete the
// key, or (neither) leave it.
type sessionWrite struct {
	next   *session
	delete bool
}

// sessions returns the session bucket, creating it at the first call that
// succeeds.
func (a *Adapter) sessions(ctx context.Context) (jetstream.KeyValue, error) {
	a.kvMu.Lock()
	defer a.kvMu.Unlock()
	if a.kv != nil {
		return a.kv, nil
	}
	kv, err := a.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      SessionBucket,
		Description: "eventwire recovery sessions",
		TTL:         SessionMaxAge,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("eventwire: nats adapter: session bucket %s: %w", SessionBucket, err)
	}
	a.kv = kv
	return kv, nil
}

// updateSession reads the session under key (nil when there is none), lets
// decide choose a write, and makes it on the condition that the key is
// still at the revision read; after a conflict it starts again.
func (a *Adapter) updateSession(ctx context.Context, key string, decide func(cur *session, now int64) sessionWrite) error {
	kv, err := a.sessions(ctx)
	if err != nil {
		return err
	}
	k := SessionKey(key)
	for {
		var cur *session
		var rev uint64
		e, err := kv.Get(ctx, k)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("eventwire: nats adapter: session %s: get: %w", k, err)
		default:
			rev = e.Revision()
			if cur, err = decodeSession(e.Value()); err != nil {
				return fmt.Errorf("eventwire: nats adapter: session %s: %w", k, err)
			}
		}
		w := decide(cur, time.Now().UnixMilli())
		switch {
		case w.next != nil && rev == 0:
			_, err = kv.Create(ctx, k, w.next.encode())
		case w.next != nil:
			_, err = kv.Update(ctx, k, w.next.encode(), rev)
		case w.delete && rev != 0:
			err = kv.Delete(ctx, k, jetstream.LastRevision(rev))
		default:
			return nil
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // another node wrote the key in between
		}
		if err != nil {
			return fmt.Errorf("eventwire: nats adapter: session %s: write: %w", k, err)
		}
		return nil
	}
}

func checkSessionTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > SessionMaxAge {
		return fmt.Errorf("eventwire: nats adapter: session ttl %v is not in (0, %v]", ttl, SessionMaxAge)
	}
	return nil
}

// PutSession implements middleware.RecoveryAdapter. The owner and the
// deadline (this node's clock plus ttl) are stored with the value; a
// session past its deadline is as none.
func (a *Adapter) PutSession(ctx context.Context, key, owner string, value []byte, ttl time.Duration) (bool, error) {
	if err := checkSessionTTL(ttl); err != nil {
		return false, err
	}
	var stored bool
	err := a.updateSession(ctx, key, func(cur *session, now int64) sessionWrite {
		stored = !cur.live(now) || cur.owner == owner
		if !stored {
			return sessionWrite{}
		}
		return sessionWrite{next: &session{owner: owner, deadline: now + ttl.Milliseconds(), value: value}}
	})
	return stored && err == nil, err
}

// TakeSession implements middleware.RecoveryAdapter.
func (a *Adapter) TakeSession(ctx context.Context, key, owner string, ttl time.Duration) ([]byte, error) {
	if err := checkSessionTTL(ttl); err != nil {
		return nil, err
	}
	var taken []byte
	err := a.updateSession(ctx, key, func(cur *session, now int64) sessionWrite {
		taken = nil
		if !cur.live(now) {
			return sessionWrite{}
		}
		taken = cur.value
		return sessionWrite{next: &session{owner: owner, deadline: now + ttl.Milliseconds(), value: cur.value}}
	})
	if err != nil {
		return nil, err
	}
	return taken, nil
}

// DeleteSession implements middleware.RecoveryAdapter.
func (a *Adapter) DeleteSession(ctx context.Context, key, owner string) error {
	return a.updateSession(ctx, key, func(cur *session, _ int64) sessionWrite {
		return sessionWrite{delete: cur != nil && cur.owner == owner}
	})
}
