// Package adapter holds the types a middleware.RecoveryAdapter's methods
// take and return (middleware names them too, as aliases). It imports
// nothing of the runtime, so an adapter package can implement the
// interface without importing middleware.
package adapter

import "time"

// LogLimits bound each log of a middleware.RecoveryAdapter: at most
// MaxEntries entries of MaxBytes in all, none older than MaxAge. An
// adapter may keep a little more, never less.
type LogLimits struct {
	MaxEntries int
	MaxBytes   int64
	MaxAge     time.Duration
}

// LogEntry is one entry of a log: its message under its place.
type LogEntry struct {
	Epoch string // the log's epoch when the entry was appended
	Seq   uint64 // its place in that epoch: 1, 2, 3, … with no gap
	Msg   []byte // the caller owns it
}

// LogState describes a log. Its Epoch changes when the log is lost and
// made anew (a broker restarted without persistence, say): seqs start at
// 1 again, and offsets of the old epoch are no longer valid.
type LogState struct {
	Epoch string // non-empty, without '.' (offsets are "<epoch>.<seq>")
	First uint64 // the seq of the oldest entry kept; Last+1 when none is
	Last  uint64 // the seq of the newest entry ever appended in this epoch; 0 when none
}
