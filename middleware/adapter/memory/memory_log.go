package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eventwire/eventwire/middleware/adapter"
)

// The Hub keeps what connection state recovery needs as a broker would
// (middleware.RecoveryAdapter): a log per stream, trimmed to the limits the
// last SubscribeLogs gave, and sessions with owners and deadlines.
// Hub.Reset loses them all, as a broker restarted without persistence.

type memLog struct {
	epoch   string
	limits  adapter.LogLimits
	entries []memEntry // oldest first
	bytes   int64
	top     uint64
}

type memEntry struct {
	seq uint64
	msg []byte
	at  time.Time
}

type memSession struct {
	owner    string
	value    []byte
	deadline time.Time
}

// Reset loses every log and session, as a broker restarted without
// persistence does: logs begin again in new epochs.
func (h *Hub) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs, h.sessions = nil, nil
}

// logLocked returns the log of stream, made anew when missing; the
// caller holds h.mu for writing.
func (h *Hub) logLocked(stream string) *memLog {
	if h.logs == nil {
		h.logs = make(map[string]*memLog)
	}
	l := h.logs[stream]
	if l == nil {
		h.epochs++
		l = &memLog{epoch: fmt.Sprintf("m%d", h.epochs), limits: adapter.LogLimits{MaxEntries: 1 << 30, MaxBytes: 1 << 62, MaxAge: 1 << 62}}
		h.logs[stream] = l
	}
	return l
}

func (l *memLog) trim(now time.Time) {
	drop := 0
	for ; drop < len(l.entries); drop++ {
		e := l.entries[drop]
		if len(l.entries)-drop <= l.limits.MaxEntries && l.bytes <= l.limits.MaxBytes && now.Sub(e.at) <= l.limits.MaxAge {
			break
		}
		l.bytes -= int64(len(e.msg))
	}
	l.entries = l.entries[drop:]
}

func (l *memLog) state() adapter.LogState {
	first := l.top + 1
	if len(l.entries) > 0 {
		first = l.entries[0].seq
	}
	return adapter.LogState{Epoch: l.epoch, First: first, Last: l.top}
}

// SubscribeLogs implements middleware.RecoveryAdapter.
func (a *Adapter) SubscribeLogs(ctx context.Context, streams []string, limits adapter.LogLimits, deliver func(stream string, e adapter.LogEntry)) ([]adapter.LogState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	switch {
	case a.hub.down != nil:
		return nil, a.hub.down
	case a.streams != nil:
		return nil, errors.New("memory adapter: SubscribeLogs called twice")
	}
	select {
	case <-a.stop:
		return nil, ErrClosed
	default:
	}
	a.streams = make(map[string]bool, len(streams))
	states := make([]adapter.LogState, len(streams))
	for i, s := range streams {
		a.streams[s] = true
		l := a.hub.logLocked(s)
		l.limits = limits
		l.trim(time.Now())
		states[i] = l.state()
	}
	a.deliverLog = deliver
	a.startLocked()
	return states, nil
}

// AppendLog implements middleware.RecoveryAdapter: the entries are in
// every subscriber's queue, in order, when it returns.
func (a *Adapter) AppendLog(ctx context.Context, stream string, msgs [][]byte) error {
	select {
	case <-a.stop:
		return ErrClosed
	default:
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	if a.hub.down != nil {
		return a.hub.down
	}
	l := a.hub.logLocked(stream)
	now := time.Now()
	for _, m := range msgs {
		l.top++
		e := memEntry{seq: l.top, msg: slices.Clone(m), at: now}
		l.entries = append(l.entries, e)
		l.bytes += int64(len(m))
		for _, sub := range a.hub.subs {
			if !sub.streams[stream] {
				continue
			}
			select {
			case sub.queue <- delivery{channel: stream, entry: &adapter.LogEntry{Epoch: l.epoch, Seq: e.seq, Msg: slices.Clone(m)}}:
			case <-sub.stop:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	l.trim(now)
	return nil
}

// ReadLog implements middleware.RecoveryAdapter.
func (a *Adapter) ReadLog(ctx context.Context, stream string, after uint64, limit int) (adapter.LogState, []adapter.LogEntry, error) {
	if err := a.usable(ctx); err != nil {
		return adapter.LogState{}, nil, err
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	l := a.hub.logLocked(stream)
	l.trim(time.Now())
	var out []adapter.LogEntry
	for _, e := range l.entries {
		if e.seq > after && len(out) < limit {
			out = append(out, adapter.LogEntry{Epoch: l.epoch, Seq: e.seq, Msg: slices.Clone(e.msg)})
		}
	}
	return l.state(), out, nil
}

// usable fails when the adapter is closed, the hub down, or ctx done.
func (a *Adapter) usable(ctx context.Context) error {
	select {
	case <-a.stop:
		return ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	a.hub.mu.RLock()
	defer a.hub.mu.RUnlock()
	return a.hub.down
}

// sessionLocked returns the unexpired session of key, or nil.
func (h *Hub) sessionLocked(key string) *memSession {
	s := h.sessions[key]
	if s != nil && time.Now().After(s.deadline) {
		delete(h.sessions, key)
		return nil
	}
	return s
}

// PutSession implements middleware.RecoveryAdapter.
func (a *Adapter) PutSession(ctx context.Context, key, owner string, value []byte, ttl time.Duration) (bool, error) {
	if err := a.usable(ctx); err != nil {
		return false, err
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	if s := a.hub.sessionLocked(key); s != nil && s.owner != owner {
		return false, nil
	}
	if a.hub.sessions == nil {
		a.hub.sessions = make(map[string]*memSession)
	}
	a.hub.sessions[key] = &memSession{owner: owner, value: slices.Clone(value), deadline: time.Now().Add(ttl)}
	return true, nil
}

// TakeSession implements middleware.RecoveryAdapter.
func (a *Adapter) TakeSession(ctx context.Context, key, owner string, ttl time.Duration) ([]byte, error) {
	if err := a.usable(ctx); err != nil {
		return nil, err
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	s := a.hub.sessionLocked(key)
	if s == nil {
		return nil, nil
	}
	s.owner, s.deadline = owner, time.Now().Add(ttl)
	return slices.Clone(s.value), nil
}

// DeleteSession implements middleware.RecoveryAdapter.
func (a *Adapter) DeleteSession(ctx context.Context, key, owner string) error {
	if err := a.usable(ctx); err != nil {
		return err
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	if s := a.hub.sessionLocked(key); s != nil && s.owner == owner {
		delete(a.hub.sessions, key)
	}
	return nil
}
