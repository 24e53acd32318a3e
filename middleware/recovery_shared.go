package middleware

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/eventwire/eventwire/internal/cluster"
	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/recovery"
)

// Connection state recovery in a cluster (Config.Recovery with a
// RecoveryAdapter): each namespace's log and the sessions live in the
// broker, so a client recovers on any node, also after the node that held
// its connection died.
//
// Order: a logged emit does not go out on the node that makes it. It is
// appended to the namespace's log in the broker, and every node delivers
// the log's entries as the broker hands them back, one at a time under the
// namespace's emit lock, each with its offset: every recipient on every
// node gets them in the log's order. sharedLog.delivered is the last entry
// delivered here; a socket that registers (fresh, or recovering with the
// entries it missed read from the broker) under the lock gets exactly the
// entries after it live.
//
// Sessions are written through by a sessionStore goroutine: at connect,
// at each room or recoverable data change, every refresh interval while
// connected, and when the connection ends. A node killed without warning
// leaves its sessions in the broker until their ttl (the window plus the
// refresh interval after the last write) passes.

// sharedLog is a namespace's log in the broker.
type sharedLog struct {
	a      RecoveryAdapter
	stream string // the log's name
	keys   string // session keys: keys + pid

	// Guarded by recoveryState.mu.
	epoch     string
	delivered uint64   // the seq of the last entry delivered on this node
	polled    LogState // the log as the last poll saw it

	bySID map[string]*Conn // live sockets by id; guarded by recoveryState.smu
}

// storedSession is a session as the broker keeps it.
type storedSession struct {
	SID   string                     `json:"sid"`
	Rooms []string                   `json:"rooms,omitempty"`
	Data  map[string]json.RawMessage `json:"data,omitempty"` // recoverable keys by name
	Epoch string                     `json:"epoch"`
	Start uint64                     `json:"start"`           // the log's seq when the session began
	Ended int64                      `json:"ended,omitempty"` // unix ms when its connection ended; 0 while connected
	Quiet quietMark                  `json:"quiet,omitzero"`  // where it ended, with Ended
}

// brokerTimeout bounds one read or write of recovery state in the broker.
const brokerTimeout = 5 * time.Second

// catchUpWait bounds how long a restore waits for this node to have
// delivered the entries the client already has (another node may be a
// little ahead of this one).
const catchUpWait = 2 * time.Second

// sessionTTL is how long a live session stays in the broker after its
// last write: the window, after a refresh missed because the node died.
func (c *core) sessionTTL() time.Duration {
	return c.cfg.RecoveryMaxDisconnection + c.refreshInterval()
}

// refreshInterval is how often a live session is written again.
func (c *core) refreshInterval() time.Duration {
	return max(c.cfg.RecoveryMaxDisconnection/2, time.Second)
}

// joinSharedLogs subscribes the namespaces' logs of a, the cluster's
// broker, and starts the session store.
func (c *core) joinSharedLogs(a Adapter, prefix string) error {
	ra, ok := a.(RecoveryAdapter)
	if !ok {
		return fmt.Errorf("eventwire: config: recovery in a cluster needs an adapter that keeps its log and sessions (a middleware.RecoveryAdapter, as the redis, nats and memory adapters are); %T is not one", a)
	}
	names := slices.Sorted(maps.Keys(c.namespaces))
	streams := make([]string, len(names))
	byStream := make(map[string]*Server, len(names))
	for i, name := range names {
		streams[i] = cluster.LogStream(prefix, name)
		ns := c.namespaces[name]
		ns.rec.shared = &sharedLog{a: ra, stream: streams[i], keys: prefix + "#session#" + name + "#", bySID: make(map[string]*Conn)}
		byStream[streams[i]] = ns
	}
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	limits := LogLimits{MaxEntries: c.cfg.RecoveryLogFrames, MaxBytes: c.cfg.RecoveryLogBytes, MaxAge: c.cfg.RecoveryMaxDisconnection}
	states, err := ra.SubscribeLogs(ctx, streams, limits, func(stream string, e LogEntry) {
		if ns := byStream[stream]; ns != nil {
			ns.rec.deliverEntry(ns, e)
		}
	})
	if err != nil {
		return fmt.Errorf("eventwire: adapter: recovery log: %w", err)
	}
	for i, st := range states {
		r := byStream[streams[i]].rec
		r.mu.Lock()
		if r.shared.epoch == "" { // no entry arrived already
			r.shared.epoch, r.shared.delivered = st.Epoch, st.Last
		}
		r.mu.Unlock()
	}
	c.sessions = newSessionStore(c, ra)
	return nil
}

// emitShared hands a logged emit to the cluster's log; when it cannot be
// queued (the broker is failing), this node's recipients get it at once
// without an offset and the error says the others did not.
func (r *recoveryState) emitShared(s *Server, p engineio.Packet, t recovery.Target, send func(engineio.Packet) error) (engineio.Packet, error) {
	err := s.root.cluster.Append(s.name, clusterTarget(t), p.Text[:len(p.Text)-1], p.Atts)
	if err != nil {
		_ = send(p)
		return p, publishError(err)
	}
	return p, nil
}

func clusterTarget(t recovery.Target) cluster.Target {
	return cluster.Target{Only: t.Only, Targeted: t.Targeted, To: t.To, Except: t.Except, ExceptID: t.ExceptID}
}

func logTarget(t cluster.Target) recovery.Target {
	return recovery.Target{Only: t.Only, Targeted: t.Targeted, To: t.To, Except: t.Except, ExceptID: t.ExceptID}
}

// deliverEntry delivers an entry of the log, as the broker hands it over,
// to this node's recipients.
func (r *recoveryState) deliverEntry(s *Server, e LogEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sh := r.shared
	switch {
	case e.Epoch != sh.epoch && sh.epoch == "":
		sh.epoch, sh.delivered = e.Epoch, e.Seq-1
	case e.Epoch != sh.epoch:
		r.newEpochLocked(s, e.Epoch, e.Seq-1)
	case e.Seq <= sh.delivered:
		return // delivered already (read at a restore, or a gap filled)
	case e.Seq > sh.delivered+1:
		r.fillLocked(s, e.Seq-1)
	}
	r.deliverMsgLocked(s, e.Seq, e.Msg)
}

// newEpochLocked follows the log into a new epoch (the broker lost it and
// made it anew), delivering its entries up to seq: every one of them was
// appended after the loss, when this node's sockets were recipients.
func (r *recoveryState) newEpochLocked(s *Server, epoch string, seq uint64) {
	sh := r.shared
	s.log.Warn("eventwire: recovery log made anew (the broker lost it); sessions of the old one cannot recover",
		"namespace", s.name, "old_epoch", sh.epoch, "epoch", epoch)
	sh.epoch, sh.delivered = epoch, 0
	r.fillLocked(s, seq)
}

// poll finds entries the subscription did not hand over and nothing after
// them revealed (the last ones before a broker outage, say): what the log
// held at the previous poll and is not delivered yet is read and
// delivered. It runs every logPoll, so a live delivery has had that long.
func (r *recoveryState) poll(s *Server) {
	sh := r.shared
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	r.mu.Lock()
	after := sh.delivered
	r.mu.Unlock()
	st, _, err := sh.a.ReadLog(ctx, sh.stream, after, 1)
	if err != nil {
		return // the broker is away: the next poll tries again
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prev := sh.polled
	sh.polled = st
	switch {
	case prev.Epoch != st.Epoch:
		return // seen once: live delivery has until the next poll
	case st.Epoch != sh.epoch:
		r.newEpochLocked(s, st.Epoch, prev.Last)
	case prev.Last > sh.delivered:
		r.fillLocked(s, prev.Last)
	}
}

// logPoll is how often each node checks it has every entry of the logs.
const logPoll = time.Second

// fillLocked reads from the broker and delivers the entries after the last
// delivered up to seq, which the subscription did not hand over (it was
// cut off a while). Entries the log no longer holds are lost for this
// node's sockets, and counted.
func (r *recoveryState) fillLocked(s *Server, seq uint64) {
	sh := r.shared
	for sh.delivered < seq {
		ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
		st, entries, err := sh.a.ReadLog(ctx, sh.stream, sh.delivered, int(min(seq-sh.delivered, 1000)))
		cancel()
		if err != nil || st.Epoch != sh.epoch || len(entries) == 0 || entries[0].Seq != sh.delivered+1 {
			s.recoveryLogGaps.Add(seq - sh.delivered)
			s.log.Warn("eventwire: recovery log entries lost for this node's sockets", "namespace", s.name,
				"from", sh.delivered+1, "to", seq, "err", err)
			sh.delivered = seq
			return
		}
		for _, e := range entries {
			if e.Seq > seq {
				break
			}
			r.deliverMsgLocked(s, e.Seq, e.Msg)
		}
	}
}

// deliverMsgLocked delivers the packet of entry seq with its offset.
func (r *recoveryState) deliverMsgLocked(s *Server, seq uint64, msg []byte) {
	sh := r.shared
	sh.delivered = seq
	_, t, text, atts, err := cluster.DecodeLogged(msg)
	if err != nil {
		s.log.Warn("eventwire: recovery log entry dropped", "namespace", s.name, "seq", seq, "err", err)
		return
	}
	r.reach.Note(seq, logTarget(t))
	p := withOffset(text, atts, recovery.FormatOffset(sh.epoch, seq))
	if t.Only != "" {
		r.smu.Lock()
		c := sh.bySID[t.Only]
		r.smu.Unlock()
		if c != nil {
			_ = c.write(p)
		}
		return
	}
	_ = s.deliver(remoteOperator(s, t), p) // ErrClosed: closing
}

// withOffset completes a logged packet's frame (without its ']') with the
// offset argument.
func withOffset(text []byte, atts [][]byte, offset string) engineio.Packet {
	arg, _ := json.Marshal(offset) // a string: cannot fail
	frame := make([]byte, 0, len(text)+len(arg)+2)
	frame = append(append(append(append(frame, text...), ','), arg...), ']')
	return engineio.Packet{Text: frame, Atts: atts}
}

// deliverUnlogged delivers a packet this node could not log.
func (s *Server) deliverUnlogged(t cluster.Target, text []byte, atts [][]byte) {
	p := engineio.Packet{Text: append(text[:len(text):len(text)], ']'), Atts: atts}
	if t.Only != "" {
		if c := s.rec.liveByID(t.Only); c != nil {
			_ = c.write(p)
		}
		return
	}
	_ = s.deliver(remoteOperator(s, t), p)
}

func (r *recoveryState) liveByID(sid string) *Conn {
	if r == nil || r.shared == nil {
		return nil
	}
	r.smu.Lock()
	defer r.smu.Unlock()
	return r.shared.bySID[sid]
}

// claimShared takes the session of pid from the broker for owner.
func (r *recoveryState) claimShared(s *Server, pid, owner string) (*savedSession, failure) {
	sh := r.shared
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	raw, err := sh.a.TakeSession(ctx, sh.keys+pid, owner, s.sessionTTL())
	var st storedSession
	switch {
	case err != nil:
		s.log.Warn("eventwire: recovery: session read failed", "namespace", s.name, "err", err)
		return nil, recoveryStore
	case raw == nil:
		return nil, recoveryUnknown
	case json.Unmarshal(raw, &st) != nil || st.SID == "":
		return nil, recoveryUnknown
	case st.Ended != 0 && time.Since(time.UnixMilli(st.Ended)) > s.cfg.RecoveryMaxDisconnection:
		_ = sh.a.DeleteSession(ctx, sh.keys+pid, owner)
		return nil, recoveryExpired
	case st.Ended == 0: // connected to another node, or to one that died: take it over
		_ = s.root.cluster.Command(s.name, cluster.OpTakeOver, cluster.Target{Only: st.SID}, nil)
	}
	saved := &savedSession{sid: st.SID, start: st.Start, epoch: st.Epoch, quiet: st.Quiet, data: decodeRecoverable(st.Data, s.log)}
	saved.rooms = make(map[string]struct{}, len(st.Rooms))
	for _, room := range st.Rooms {
		saved.rooms[room] = struct{}{}
	}
	return saved, recovered
}

// takeOverLocal ends this node's socket sid, whose client came back to
// another node, without keeping its session (the other node has it).
func (r *recoveryState) takeOverLocal(s *Server, sid, why string) {
	r.smu.Lock()
	c := r.shared.bySID[sid]
	if c != nil {
		c.fate = fateTakenOver
		delete(r.shared.bySID, sid)
		delete(r.live, c.pid)
	}
	r.smu.Unlock()
	if c != nil {
		s.log.Debug("eventwire: recovery: session taken over", append(c.logAttrs(), "why", why)...)
		c.end(engineio.CloseNormal, "", engineio.ReasonTransportClose, nil)
	}
}

// waitCaughtUp waits, within catchUpWait, until this node has delivered
// the entries a session coming back has had: those up to its start and
// its client's offset. Another node may be a little ahead of this one.
func (r *recoveryState) waitCaughtUp(saved *savedSession, offset string, hasOffset bool) {
	need := saved.start
	if seq, ok := recovery.ParseOffset(offset, saved.epoch); hasOffset && ok {
		need = max(need, seq)
	}
	need = quietFrom(need, saved.quiet)
	deadline := time.Now().Add(catchUpWait)
	for {
		r.mu.Lock()
		done := r.shared.epoch != saved.epoch || r.shared.delivered >= need
		r.mu.Unlock()
		if done || time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// missedShared reads from the broker the entries saved's socket has not
// had, after the client's offset (or since the session began), up to the
// last delivered here; the caller holds r.mu.
func (r *recoveryState) missedShared(saved *savedSession, offset string, hasOffset bool, maxReplay int) ([]recovery.Entry, failure) {
	sh := r.shared
	if saved.epoch != sh.epoch {
		return nil, recoveryOffset
	}
	from := saved.start
	if hasOffset {
		seq, ok := recovery.ParseOffset(offset, sh.epoch)
		if !ok {
			return nil, recoveryOffset
		}
		from = max(from, seq)
	}
	from = quietFrom(from, saved.quiet)
	if from > sh.delivered {
		return nil, recoveryStore // this node is behind the others (waitCaughtUp gave up)
	}
	var out []recovery.Entry
	for after := from; after < sh.delivered; {
		ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
		st, entries, err := sh.a.ReadLog(ctx, sh.stream, after, int(min(sh.delivered-after, 1000)))
		cancel()
		switch {
		case err != nil:
			return nil, recoveryStore
		case st.Epoch != sh.epoch:
			return nil, recoveryOffset
		case len(entries) == 0 || entries[0].Seq != after+1:
			return nil, recoveryTrimmed
		}
		for _, e := range entries {
			if e.Seq > sh.delivered {
				break
			}
			after = e.Seq
			_, t, text, atts, err := cluster.DecodeLogged(e.Msg)
			if lt := logTarget(t); err != nil || !lt.Reaches(saved.sid, saved.rooms) {
				continue
			}
			if len(out) == maxReplay {
				return nil, recoveryTooMany
			}
			p := withOffset(text, atts, recovery.FormatOffset(sh.epoch, e.Seq))
			out = append(out, recovery.Entry{Seq: e.Seq, Text: p.Text, Atts: p.Atts})
		}
	}
	return out, recovered
}

// sessionStore writes the sessions of this node's sockets to the broker,
// on its own goroutine: a write never holds up a connection. The same
// goroutine polls the logs (recoveryState.poll).
type sessionStore struct {
	c *core
	a RecoveryAdapter

	mu       sync.Mutex
	dirty    map[*Conn]struct{}
	deletes  map[string]string // key -> owner: sessions that will not come back
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	inFlight int // writes flush is doing; guarded by mu
}

func newSessionStore(c *core, a RecoveryAdapter) *sessionStore {
	w := &sessionStore{
		c: c, a: a, dirty: make(map[*Conn]struct{}), deletes: make(map[string]string),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go w.run()
	return w
}

// touch schedules a write of c's session.
func (w *sessionStore) touch(c *Conn) {
	w.mu.Lock()
	w.dirty[c] = struct{}{}
	w.mu.Unlock()
	w.poke()
}

// drop schedules the removal of the session under key that owner holds.
func (w *sessionStore) drop(key, owner string) {
	w.mu.Lock()
	w.deletes[key] = owner
	w.mu.Unlock()
	w.poke()
}

func (w *sessionStore) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// close writes what is pending and ends the goroutine.
func (w *sessionStore) close() {
	close(w.stop)
	<-w.done
}

func (w *sessionStore) run() {
	defer close(w.done)
	refresh := time.NewTicker(w.c.refreshInterval())
	defer refresh.Stop()
	poll := time.NewTicker(logPoll)
	defer poll.Stop()
	for {
		select {
		case <-w.wake:
		case <-poll.C:
			for _, ns := range w.c.namespaces {
				ns.rec.poll(ns)
			}
		case <-refresh.C:
			for _, ns := range w.c.namespaces {
				for _, c := range ns.rec.liveSockets() {
					w.dirty[c] = struct{}{}
				}
			}
		case <-w.stop:
			w.flush()
			return
		}
		w.flush()
	}
}

// flush writes every pending session.
func (w *sessionStore) flush() {
	w.mu.Lock()
	dirty, deletes := w.dirty, w.deletes
	w.dirty, w.deletes = make(map[*Conn]struct{}), make(map[string]string)
	w.inFlight = len(dirty) + len(deletes)
	w.mu.Unlock()
	for c := range dirty {
		w.write(c)
	}
	for key, owner := range deletes {
		ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
		w.note(w.a.DeleteSession(ctx, key, owner))
		cancel()
	}
	w.mu.Lock()
	w.inFlight = 0
	w.mu.Unlock()
}

// pendingWrites is the number of session writes not done yet.
func (w *sessionStore) pendingWrites() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.dirty) + len(w.deletes) + w.inFlight
}

// write stores c's session as it stands: connected, ended and kept, or
// ended for good.
func (w *sessionStore) write(c *Conn) {
	r, sh := c.s.rec, c.s.rec.shared
	key := sh.keys + c.pid
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	r.smu.Lock()
	fate, ended, quiet := c.fate, c.endedAt, c.quiet
	r.smu.Unlock()
	switch fate {
	case fateGone:
		w.note(w.a.DeleteSession(ctx, key, c.owner))
		return
	case fateTakenOver:
		return // its new connection holds it
	}
	st := storedSession{SID: c.id, Rooms: c.Rooms(), Data: c.encodeRecoverable(), Epoch: c.epoch, Start: c.start}
	ttl := w.c.sessionTTL()
	if fate == fateKept {
		// Kept a minute past the window, so a client back too late is
		// told apart from an unknown one in Stats.
		st.Ended, st.Quiet, ttl = ended.UnixMilli(), quiet, w.c.cfg.RecoveryMaxDisconnection+time.Minute
	}
	value, _ := json.Marshal(st) // strings, numbers and raw JSON: cannot fail
	ok, err := w.a.PutSession(ctx, key, c.owner, value, ttl)
	w.note(err)
	if err == nil && !ok && fate == fateLive {
		r.takeOverLocal(c.s, c.id, "another owner holds it") // its client came back on another node
	}
}

// note counts a failed write and logs it at each power of two.
func (w *sessionStore) note(err error) {
	if err == nil {
		return
	}
	n := w.c.recoverySessionErrors.Add(1)
	if n&(n-1) == 0 {
		w.c.log.Warn("eventwire: recovery: session write failed", "err", err, "failed_total", n)
	}
}

// liveSockets lists the connected sockets whose sessions may come back.
func (r *recoveryState) liveSockets() []*Conn {
	r.smu.Lock()
	defer r.smu.Unlock()
	return slices.Collect(maps.Values(r.live))
}

// touchSession schedules a write of c's session to the broker, in a
// cluster with recovery; elsewhere it does nothing.
func (c *Conn) touchSession() {
	if c.s.rec != nil && c.s.rec.shared != nil && c.s.sessions != nil && c.pid != "" {
		c.s.sessions.touch(c)
	}
}
