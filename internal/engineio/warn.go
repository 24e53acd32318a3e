package engineio

import (
	"net/http"
	"sync"
	"time"
)

// Refused handshakes an operator must see are logged at warn level, with
// what to change; a flood of them cannot fill the log: each kind logs at
// most warnBurst lines at once and one per warnEvery after, and the next
// line it logs says how many were left out.

const (
	warnBurst = 5
	warnEvery = time.Second
)

// warnings is a token bucket per kind of refusal.
type warnings struct {
	mu    sync.Mutex
	kinds map[string]*warnBucket
}

type warnBucket struct {
	tokens     float64
	last       time.Time
	suppressed int
}

// allow reports whether a line of kind may be logged at now, and how many
// were left out since the last one that was.
func (w *warnings) allow(kind string, now time.Time) (bool, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.kinds == nil {
		w.kinds = make(map[string]*warnBucket)
	}
	b := w.kinds[kind]
	if b == nil {
		b = &warnBucket{tokens: warnBurst, last: now}
		w.kinds[kind] = b
	}
	b.tokens = min(warnBurst, b.tokens+now.Sub(b.last).Seconds()/warnEvery.Seconds())
	b.last = now
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	left := b.suppressed
	b.suppressed = 0
	return true, left
}

// warn logs a refused handshake of kind at warn level, rate-limited.
func (s *Server[D]) warn(kind, msg string, r *http.Request, attrs ...any) {
	ok, left := s.warnings.allow(kind, time.Now())
	if !ok {
		return
	}
	attrs = append(attrs, "remote", r.RemoteAddr, "path", r.URL.Path)
	if left > 0 {
		attrs = append(attrs, "similar_lines_left_out", left)
	}
	s.log.Warn(msg, attrs...)
}

// canHijack reports whether the connection under w can be taken over for
// a WebSocket: w, or a ResponseWriter it unwraps to (Unwrap, as
// http.ResponseController follows), is an http.Hijacker.
func canHijack(w http.ResponseWriter) bool {
	for range 32 { // a wrapper that unwraps to itself must not loop for ever
		switch x := w.(type) {
		case http.Hijacker:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return false
		}
	}
	return false
}
