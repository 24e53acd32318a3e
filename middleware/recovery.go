package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/recovery"
)

// Connection state recovery (Config.Recovery), as socket.io 4.6+ does it
// and socket.io-client expects: the CONNECT reply carries a pid, every
// event the server sends without an ack id carries its offset as one more
// trailing argument, and a client that comes back within
// Config.RecoveryMaxDisconnection with {pid, offset} in its CONNECT auth
// gets its socket back (same sid, rooms) and the events it missed, in
// order, before any live one. docs/RECOVERY.md states the guarantee.
//
// Order: a namespace's logged emits, and each socket's registration with
// its replay, happen under the namespace's recoveryState.mu, so offsets
// increase in the order every recipient gets them, and a restored socket
// gets exactly the entries logged before it became a recipient again.

// failure says why a recovery failed, as RecoveryFailures counts it.
type failure uint8

const (
	recovered       failure = iota // it did not fail
	recoveryUnknown                // no session under that pid: never one, already used, or not kept
	recoveryExpired                // back after RecoveryMaxDisconnection
	recoveryOffset                 // an offset this server never gave (another process, or malformed)
	recoveryTrimmed                // the log no longer holds every entry missed
	recoveryTooMany                // more missed entries than RecoveryMaxReplay
	recoveryStore                  // the broker did not answer (in a cluster)
	failures
)

// sessionFate is what became of a socket's session when it ended.
type sessionFate uint8

const (
	fateLive      sessionFate = iota // connected
	fateKept                         // ended, and may come back within the window
	fateGone                         // ended for good
	fateTakenOver                    // its client came back on another connection
)

// RecoveryFailures counts the recoveries that failed (Config.Recovery), by
// why; each client got a fresh session instead.
type RecoveryFailures struct {
	// Unknown: no session has the pid: a forged one, one already used, or
	// one not kept (the client's own disconnect, say).
	Unknown uint64
	// Expired: the client came back after RecoveryMaxDisconnection.
	Expired uint64
	// Offset: the offset is not one of the log as it is: another process
	// gave it, or a restarted one; in a cluster, the broker lost the log
	// and made it anew.
	Offset uint64
	// Trimmed: the log no longer holds every event the client missed.
	Trimmed uint64
	// TooMany: the client missed more than RecoveryMaxReplay events.
	TooMany uint64
	// Store: in a cluster, the broker did not answer a read of the
	// session or the log in time (or this node lagged behind the others).
	Store uint64
}

// recoveryState is a namespace's log and its sessions that may come back.
type recoveryState struct {
	mu     sync.Mutex // the emit lock; see above
	log    *recovery.Log
	reach  *recovery.Reach // what each socket may have been sent: see quietFrom
	shared *sharedLog      // in a cluster, the log and sessions in the broker (recovery_shared.go); nil on one node

	smu      sync.Mutex
	sessions map[string]*savedSession // pid -> a session that ended and may come back
	live     map[string]*Conn         // pid -> its connected socket
}

// savedSession is what a socket that may come back leaves behind.
type savedSession struct {
	sid    string
	rooms  map[string]struct{}
	data   map[dataKey]any // the values of recoverable keys
	start  uint64          // the log's top when the socket first connected
	epoch  string          // in a cluster: the log's epoch then
	quiet  quietMark       // where its connection ended, for a quiet client (see quietFrom)
	ended  time.Time
	expiry *time.Timer
}

func newRecoveryState(cfg Config) *recoveryState {
	if !cfg.Recovery {
		return nil
	}
	return &recoveryState{
		log: recovery.NewLog(engineio.NewID()[:8], recovery.Limits{
			MaxFrames: cfg.RecoveryLogFrames, MaxBytes: cfg.RecoveryLogBytes, MaxAge: cfg.RecoveryMaxDisconnection,
		}),
		reach:    recovery.NewReach(reachMemory),
		sessions: make(map[string]*savedSession),
		live:     make(map[string]*Conn),
	}
}

// reachMemory bounds the rooms and sockets a namespace's Reach remembers.
const reachMemory = 1 << 16

// quietMark is where a socket's connection ended: the log's top then, and
// a seq at or after the last entry that had reached the socket by then.
// Top 0: not known (the node that held it died).
type quietMark struct {
	Top   uint64 `json:"top,omitempty"`
	Reach uint64 `json:"reach,omitempty"`
}

// markQuiet returns c's quietMark as its connection ends.
func (r *recoveryState) markQuiet(c *Conn) quietMark {
	rooms := c.roomsSnapshot()
	r.mu.Lock()
	defer r.mu.Unlock()
	return quietMark{Top: r.topLocked(), Reach: r.reach.Bound(c.id, rooms)}
}

// topLocked is the last entry this node has logged (one node) or
// delivered (a cluster).
func (r *recoveryState) topLocked() uint64 {
	if r.shared != nil {
		return r.shared.delivered
	}
	return r.log.Top()
}

// quietFrom is where a replay starts for a client that has had every entry
// up to from: when from is at or past the last entry that had reached its
// socket when the connection ended, nothing between from and the top then
// was for it, so the replay starts at that top. A quiet client (its last
// event long ago, the entries since all for others) so recovers after the
// log has trimmed those entries.
func quietFrom(from uint64, q quietMark) uint64 {
	if q.Top > from && from >= q.Reach {
		return q.Top
	}
	return from
}

// emitLogged builds the packet of an event the server sends with its
// offset, logs it for t and hands it to send, all under the emit lock.
func (r *recoveryState) emitLogged(s *Server, name string, args, atts [][]byte, t recovery.Target, send func(engineio.Packet) error) (engineio.Packet, error) {
	if r.shared != nil {
		return r.emitShared(s, eventPacketOf(s.name, name, false, 0, args, atts), t, send)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	offset, _ := json.Marshal(r.log.Offset(r.log.Next())) // a string: cannot fail
	p := eventPacketOf(s.name, name, false, 0, append(args[:len(args):len(args)], offset), atts)
	err := send(p)
	// A slow consumer's frame is logged all the same: its session is kept,
	// and the frame replayed when it comes back. A socket that has ended
	// gets nothing (Conn.Emit says ErrClosed), so nothing is logged.
	if err == nil || errors.Is(err, ErrSlowConsumer) {
		r.reach.Note(r.log.Append(recovery.Entry{Text: p.Text, Atts: p.Atts, Target: t}, time.Now()), t)
	}
	return p, err
}

// splitRecoveryAuth takes pid and offset out of a CONNECT payload: the
// client merges them into the app's auth object (socket.io-client does
// Object.assign({pid, offset}, auth)), and the app's auth schema must not
// see them. Other members stay as sent, in order, duplicates included, so
// the auth check judges them as ever. Values that are not strings are
// dropped all the same (the names are reserved) and do not count.
func splitRecoveryAuth(raw []byte) (rest []byte, pid, offset string, hasOffset bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return raw, "", "", false
	}
	out := []byte{'{'}
	for dec.More() {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		var v json.RawMessage
		if err != nil || !isKey || dec.Decode(&v) != nil {
			return raw, "", "", false // malformed: the auth check says so
		}
		switch key {
		case "pid":
			_ = json.Unmarshal(v, &pid)
			continue
		case "offset":
			hasOffset = json.Unmarshal(v, &offset) == nil && offset != "" // "": none yet
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(key)
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), pid, offset, hasOffset
}

// claim takes the session of pid for a socket coming back: a saved one
// within the window, or a live one whose client is back before the server
// saw its connection die (its old socket is cut). It returns nil and why
// when there is none.
func (r *recoveryState) claim(s *Server, pid, owner string, window time.Duration) (*savedSession, failure) {
	r.smu.Lock()
	if old := r.live[pid]; old != nil {
		delete(r.live, pid)
		old.fate = fateTakenOver
		if r.shared != nil {
			delete(r.shared.bySID, old.id)
		}
		r.smu.Unlock()
		saved := &savedSession{sid: old.id, rooms: old.roomsSnapshot(), data: old.recoverableData(), start: old.start, epoch: old.epoch,
			quiet: r.markQuiet(old)}
		old.end(engineio.CloseNormal, "", engineio.ReasonTransportClose, nil) // the half-open socket
		if r.shared != nil {
			// The new socket takes the session over in the broker too.
			if _, why := r.claimShared(s, pid, owner); why == recoveryStore {
				return nil, why
			}
		}
		return saved, recovered
	}
	if r.shared != nil {
		r.smu.Unlock()
		return r.claimShared(s, pid, owner)
	}
	saved := r.sessions[pid]
	delete(r.sessions, pid) // one use
	r.smu.Unlock()
	switch {
	case saved == nil:
		return nil, recoveryUnknown
	case !saved.expiry.Stop() || time.Since(saved.ended) > window:
		return nil, recoveryExpired
	}
	return saved, recovered
}

// save keeps the session of c, which ended for reason, for the window,
// unless the client ended it or broke the rules.
func (r *recoveryState) save(c *Conn, reason string, window time.Duration) {
	quiet := r.markQuiet(c)
	r.smu.Lock()
	defer r.smu.Unlock()
	if c.fate == fateTakenOver || r.live[c.pid] != c {
		return
	}
	delete(r.live, c.pid)
	c.fate, c.endedAt, c.quiet = fateGone, time.Now(), quiet
	switch reason {
	case engineio.ReasonTransportClose, engineio.ReasonTransportError, engineio.ReasonPingTimeout,
		engineio.ReasonShutdown, engineio.ReasonSlowConsumer:
		c.fate = fateKept
	}
	if r.shared != nil {
		delete(r.shared.bySID, c.id)
		c.s.sessions.touch(c) // the broker keeps it, or forgets it
		return
	}
	if c.fate == fateGone { // the client's own disconnect, the server's Close, a broken protocol, the rate limit
		return
	}
	pid := c.pid
	r.sessions[pid] = &savedSession{
		sid: c.id, rooms: c.roomsSnapshot(), data: c.recoverableData(), start: c.start, ended: time.Now(), quiet: quiet,
		// Kept a minute past the window, so a client back too late is told
		// apart from an unknown one in Stats.
		expiry: time.AfterFunc(window+time.Minute, func() { r.forget(pid) }),
	}
}

func (r *recoveryState) forget(pid string) {
	r.smu.Lock()
	defer r.smu.Unlock()
	delete(r.sessions, pid)
}

// register makes c, whose CONNECT was accepted, a recipient under the
// emit lock: it queues the CONNECT reply, then, when saved is the session
// c comes back to and the log holds every entry it missed (at most
// maxReplay), those entries, so no emit comes before or between them.
// Otherwise c starts a fresh session and why says what failed.
func (r *recoveryState) register(c *Conn, saved *savedSession, offset string, hasOffset bool, maxReplay int) (replayed int, why failure) {
	if saved != nil && r.shared != nil {
		r.waitCaughtUp(saved, offset, hasOffset)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var missed []recovery.Entry
	switch {
	case saved == nil:
	case r.shared != nil:
		missed, why = r.missedShared(saved, offset, hasOffset, maxReplay)
	default:
		missed, why = r.missed(saved, offset, hasOffset, maxReplay)
	}
	if saved != nil && why == recovered {
		c.id, c.start, c.epoch, c.recovered = saved.sid, saved.start, saved.epoch, true
		c.s.mu.Lock()
		for room := range saved.rooms { // besides any Authorize joined
			if c.roomSet == nil {
				c.roomSet = make(map[string]struct{}, len(saved.rooms))
			}
			c.roomSet[room] = struct{}{}
		}
		c.s.mu.Unlock()
		c.restoreData(saved.data)
	} else {
		if saved != nil && r.shared != nil {
			c.s.sessions.drop(r.shared.keys+c.pid, c.owner) // taken, and not to come back
		}
		c.pid, c.start = engineio.NewID(), r.log.Top()
		if r.shared != nil {
			c.start, c.epoch = r.shared.delivered, r.shared.epoch
		}
	}
	_ = c.sess.Send(engineio.Text(connectReply(c)))
	for _, e := range missed {
		_ = c.sess.Send(engineio.Packet{Text: e.Text, Atts: e.Atts})
	}
	c.s.addSocket(c)
	r.smu.Lock()
	r.live[c.pid] = c
	if r.shared != nil {
		r.shared.bySID[c.id] = c
	}
	r.smu.Unlock()
	c.touchSession()
	return len(missed), why
}

// missed returns the entries saved's socket has not had, after the
// client's offset (or, without one, since the session began).
func (r *recoveryState) missed(saved *savedSession, offset string, hasOffset bool, maxReplay int) ([]recovery.Entry, failure) {
	from := saved.start
	if hasOffset {
		seq, ok := r.log.Parse(offset)
		if !ok {
			return nil, recoveryOffset
		}
		from = max(from, seq) // socket.io-client keeps an offset from before a fresh session
	}
	entries, err := r.log.Since(quietFrom(from, saved.quiet), saved.sid, saved.rooms, maxReplay, time.Now())
	switch {
	case errors.Is(err, recovery.ErrTrimmed):
		return nil, recoveryTrimmed
	case errors.Is(err, recovery.ErrTooMany):
		return nil, recoveryTooMany
	}
	return entries, recovered
}

// successor returns the socket that has taken over c's session since c
// ended (a client that recovered while a handler still held c), or nil.
// Conn.Broadcast on c must leave it out too: it is the same client.
func (r *recoveryState) successor(c *Conn) *Conn {
	if r == nil || c == nil || c.pid == "" {
		return nil
	}
	r.smu.Lock()
	defer r.smu.Unlock()
	if cur := r.live[c.pid]; cur != c {
		return cur
	}
	return nil
}

// roomsSnapshot copies the rooms c is in.
func (c *Conn) roomsSnapshot() map[string]struct{} {
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	return maps.Clone(c.roomSet)
}

// Recovered reports whether the socket is a session that came back: its
// client reconnected within Config.RecoveryMaxDisconnection and got every
// event it missed (see Config.Recovery). OnConnect runs again for it.
func (c *Conn) Recovered() bool { return c.recovered }

// resume is what a CONNECT asks of recovery.
type resume struct {
	auth      []byte // the payload without pid and offset
	stripped  bool   // auth differs from the payload
	pid       string
	offset    string
	hasOffset bool
}

// resumeRequest reads a CONNECT payload's pid and offset; without
// recovery it reads nothing, and pid and offset are the app's to judge.
func (s *Server) resumeRequest(payload []byte) resume {
	if s.rec == nil || len(payload) == 0 {
		return resume{}
	}
	auth, pid, offset, hasOffset := splitRecoveryAuth(payload)
	return resume{auth: auth, stripped: len(auth) != len(payload), pid: pid, offset: offset, hasOffset: hasOffset}
}

// claimSession takes the session a CONNECT asks to come back to, counting
// the attempt and a failure.
func (s *Server) claimSession(c *Conn, r resume) *savedSession {
	if r.pid == "" {
		return nil
	}
	s.recoveryAttempts.Add(1)
	saved, why := s.rec.claim(s, r.pid, c.owner, s.cfg.RecoveryMaxDisconnection)
	if saved == nil {
		s.recoveryFailed[why].Add(1)
	}
	return saved
}

// registerRecoverable registers c with recovery, back in its session when
// saved is one and every event it missed can be replayed.
func (s *Server) registerRecoverable(c *Conn, saved *savedSession, r resume) {
	if saved != nil {
		c.pid = r.pid
	}
	replayed, why := s.rec.register(c, saved, r.offset, r.hasOffset, s.cfg.RecoveryMaxReplay)
	switch {
	case saved == nil:
	case why != recovered:
		s.recoveryFailed[why].Add(1)
	default:
		s.recoveredSessions.Add(1)
		s.framesReplayed.Add(uint64(replayed))
		s.log.Debug("eventwire: session recovered", append(c.logAttrs(), "replayed", replayed)...)
	}
}

func (s *core) recoveryFailures() RecoveryFailures {
	return RecoveryFailures{
		Unknown: s.recoveryFailed[recoveryUnknown].Load(),
		Expired: s.recoveryFailed[recoveryExpired].Load(),
		Offset:  s.recoveryFailed[recoveryOffset].Load(),
		Trimmed: s.recoveryFailed[recoveryTrimmed].Load(),
		TooMany: s.recoveryFailed[recoveryTooMany].Load(),
		Store:   s.recoveryFailed[recoveryStore].Load(),
	}
}
