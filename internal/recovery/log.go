// Package recovery keeps what connection state recovery needs on one node:
// a namespace's log of the packets it sent, each under an offset, from
// which a client that comes back within the window gets what it missed.
//
// A Log is not safe for concurrent use: the runtime holds its namespace's
// emit lock around every use, so that the order of offsets is the order in
// which every recipient got the packets.
package recovery

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Target is whom a logged packet was for, as an operator chose: the socket
// Only (a direct emit), or the members of rooms To when Targeted (else
// every socket), but never those in rooms Except nor the socket ExceptID.
type Target struct {
	Only     string
	ExceptID string
	Targeted bool
	To       []string
	Except   []string
}

// Reaches reports whether the packet was for the socket id in rooms.
func (t *Target) Reaches(id string, rooms map[string]struct{}) bool {
	switch {
	case t.Only != "":
		return t.Only == id
	case t.ExceptID == id, inAny(rooms, t.Except):
		return false
	}
	return !t.Targeted || inAny(rooms, t.To)
}

func inAny(rooms map[string]struct{}, names []string) bool {
	for _, r := range names {
		if _, in := rooms[r]; in {
			return true
		}
	}
	return false
}

// Entry is one logged packet: its frames, ready to send, and its target.
type Entry struct {
	Seq    uint64
	Text   []byte
	Atts   [][]byte
	Target Target
	at     time.Time
	size   int64
}

// Limits bound a Log: it keeps at most MaxFrames entries of MaxBytes in all,
// none older than MaxAge.
type Limits struct {
	MaxFrames int
	MaxBytes  int64
	MaxAge    time.Duration
}

// Log is a namespace's packets by offset, oldest first, trimmed to its
// Limits. Offsets are "<epoch>.<seq>": the epoch, random per Log, tells a
// client's offset from another process's (or a restarted one's) apart.
type Log struct {
	epoch   string
	limits  Limits
	entries []Entry // entries[0] is the oldest kept
	bytes   int64
	next    uint64 // the seq of the next entry; seqs start at 1
}

// NewLog returns an empty Log with a random epoch.
func NewLog(epoch string, l Limits) *Log {
	return &Log{epoch: epoch, limits: l, next: 1}
}

// Top is the seq of the newest entry (0 when none was ever logged): a
// socket connecting now has missed nothing up to it.
func (l *Log) Top() uint64 { return l.next - 1 }

// Next is the seq the next Append takes.
func (l *Log) Next() uint64 { return l.next }

// Offset is how seq travels on the wire.
func (l *Log) Offset(seq uint64) string { return FormatOffset(l.epoch, seq) }

// Parse reads an offset of this Log; ok is false for one of another epoch,
// one past its top, or a malformed one.
func (l *Log) Parse(offset string) (seq uint64, ok bool) {
	seq, ok = ParseOffset(offset, l.epoch)
	return seq, ok && seq < l.next
}

// FormatOffset is the offset of seq in a log of epoch: "<epoch>.<seq>".
func FormatOffset(epoch string, seq uint64) string { return epoch + "." + strconv.FormatUint(seq, 10) }

// ParseOffset reads an offset of a log of epoch; ok is false for one of
// another epoch or a malformed one.
func ParseOffset(offset, epoch string) (seq uint64, ok bool) {
	e, num, found := strings.Cut(offset, ".")
	if !found || e != epoch || num == "" || len(num) > 1 && num[0] == '0' {
		return 0, false // one spelling per offset: no leading zero
	}
	seq, err := strconv.ParseUint(num, 10, 64)
	return seq, err == nil
}

// Append logs e under the next seq, which it returns, and trims.
func (l *Log) Append(e Entry, now time.Time) uint64 {
	e.Seq, e.at = l.next, now
	e.size = int64(len(e.Text))
	for _, a := range e.Atts {
		e.size += int64(len(a))
	}
	l.next++
	l.entries = append(l.entries, e)
	l.bytes += e.size
	l.trim(now)
	return e.Seq
}

// trim drops the oldest entries beyond the limits.
func (l *Log) trim(now time.Time) {
	drop := 0
	for drop < len(l.entries) {
		e := &l.entries[drop]
		if len(l.entries)-drop <= l.limits.MaxFrames && l.bytes <= l.limits.MaxBytes && now.Sub(e.at) <= l.limits.MaxAge {
			break
		}
		l.bytes -= e.size
		l.entries[drop] = Entry{}
		drop++
	}
	l.entries = l.entries[drop:]
	if len(l.entries) == 0 {
		l.entries = nil // a burst's array goes with it
	}
}

// Why Since gives nothing: a partial replay is never given.
var (
	ErrTrimmed = errors.New("recovery: the log no longer holds every entry missed")
	ErrTooMany = errors.New("recovery: more entries missed than allowed")
)

// Since returns the entries after seq that reach the socket id in rooms,
// oldest first, at most max of them; ErrTrimmed when the log no longer
// holds every entry after seq, ErrTooMany when more than max reach the
// socket.
func (l *Log) Since(seq uint64, id string, rooms map[string]struct{}, max int, now time.Time) ([]Entry, error) {
	l.trim(now)
	first := l.next // the oldest seq kept
	if len(l.entries) > 0 {
		first = l.entries[0].Seq
	}
	if seq+1 < first {
		return nil, ErrTrimmed
	}
	var out []Entry
	for i := int(seq+1) - int(first); i >= 0 && i < len(l.entries); i++ {
		e := l.entries[i]
		if !e.Target.Reaches(id, rooms) {
			continue
		}
		if len(out) == max {
			return nil, ErrTooMany
		}
		out = append(out, e)
	}
	return out, nil
}
