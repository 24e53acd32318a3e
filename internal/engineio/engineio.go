// Package engineio is Engine.IO v4 over WebSocket, on melody: the
// handshake checks and their JSON errors, the origin policy, connection
// limits, the hijack, the heartbeat, the write queue, the slow-consumer
// policy, close codes and reasons, and their counters.
//
// It knows nothing of Socket.IO. The layer above implements Handler, which
// hears of a session's open, its message packets (text and binary) and its
// close, and keeps its own per-session state in the session's typed slot
// (Session.Data), so a connection is one allocation. melody and
// gorilla/websocket are imported here and nowhere else in the runtime.
package engineio

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olahol/melody"
)

// Config is what a Server needs; the runtime's Config supplies it, checked.
type Config struct {
	PingInterval time.Duration // between pings; sent in the open packet
	PingTimeout  time.Duration // for the pong; sent in the open packet
	MaxPayload   int64         // the largest inbound frame; sent in the open packet
	WriteTimeout time.Duration // bounds a frame write and the close handshake
	// OutboundBuffer is melody's queue per session, in frames.
	OutboundBuffer int
	// OutboundBufferBytes bounds the packets waiting for room in melody's
	// queue (see Session.Send).
	OutboundBufferBytes int64
	// DropSlow keeps a slow consumer and drops the packets that do not fit;
	// otherwise a slow consumer is closed (1013).
	DropSlow bool
	// MaxConnections and MaxConnectionsPerIP bound the sessions open and
	// upgrading at once, overall and per remote address; 0: no limit.
	MaxConnections      int
	MaxConnectionsPerIP int
	Origins             Origins
	// Admit runs on a well-formed handshake from an allowed origin, before
	// the upgrade; a non-nil Refusal refuses it. nil admits every request.
	Admit func(r *http.Request) *Refusal
	Log   *slog.Logger
}

// Handler is the layer above: a session's life as Socket.IO sees it. Open
// runs before the session reads its first frame; Text and Binary run on
// the session's read loop, one at a time and in order, each on a
// short-lived goroutine of its own (see shallow); Closing runs once when
// the session starts closing, Closed once when it has ended.
type Handler[D any] interface {
	Open(s *Session[D])
	// Text gets the payload of a message packet (the frame after its
	// leading '4'); it aliases melody's frame and is valid during the call.
	Text(s *Session[D], data []byte)
	// Binary gets a binary frame, a message packet with binary data; it
	// aliases melody's frame too.
	Binary(s *Session[D], data []byte)
	Closing(s *Session[D])
	Closed(s *Session[D], reason string)
}

// Server accepts Engine.IO WebSocket sessions and runs them.
type Server[D any] struct {
	cfg Config
	h   Handler[D]
	log *slog.Logger
	m   *melody.Melody

	mu        sync.RWMutex
	closing   bool
	upgrading map[*http.Request]*Session[D]   // handed to melody, not yet registered
	sessions  map[*melody.Session]*Session[D] // every open session
	perIP     map[string]int                  // upgrading and open sessions per remote address
	pending   sync.WaitGroup                  // entries of upgrading
	live      sync.WaitGroup                  // entries of sessions
	hardStop  atomic.Bool                     // Cut was called: cut sessions at once

	backlogged      atomic.Int64  // sessions with a backlog: melody's sent callbacks matter
	peak            atomic.Int64  // the largest backlog seen, in bytes
	dropped         atomic.Uint64 // frames a slow consumer did not get
	slowDisconnects atomic.Uint64 // sessions closed as slow consumers
	refused         atomic.Uint64 // handshakes refused by the connection limits
	refusals        refusals      // handshakes refused, by reason
	opened          atomic.Uint64 // sessions opened
	warnings        warnings      // rate limits the warn lines of refused handshakes (warn.go)
	// protocolErrors counts sessions closed for breaking the protocol
	// (1002, 1007, 1009); see closeBroken and onError.
	protocolErrors atomic.Uint64
}

// Stats are a Server's counters; they only grow, but Connections.
type Stats struct {
	Connections     int    // sessions open now
	FramesDropped   uint64 // frames a slow consumer did not get
	SlowDisconnects uint64 // sessions closed (1013) as slow consumers
	Refused         uint64 // handshakes refused by the connection limits
	// RefusedBy counts every refused handshake by reason (RefusalReasons),
	// the limits included; Opened counts the sessions opened.
	RefusedBy      map[string]uint64
	Opened         uint64
	ProtocolErrors uint64 // sessions closed with 1002, 1007 or 1009
	BacklogPeak    int64  // the most bytes a session's backlog held
}

// New returns a Server that hands its sessions to h; it starts melody's hub
// goroutine, which Shutdown ends.
func New[D any](cfg Config, h Handler[D]) *Server[D] {
	s := &Server[D]{
		cfg: cfg, h: h, log: cfg.Log,
		upgrading: make(map[*http.Request]*Session[D]),
		sessions:  make(map[*melody.Session]*Session[D]),
		perIP:     make(map[string]int),
	}
	s.m = s.newMelody()
	return s
}

// wsKeepaliveOff stands in for "never": melody's WebSocket ping/pong cannot
// be switched off, and its read deadline only moves on WebSocket pongs.
// Liveness is Engine.IO's ping/pong instead, which JS clients can see.
const wsKeepaliveOff = 100 * 365 * 24 * time.Hour

// LogKeySession is the log attribute holding the Engine.IO session id (the
// sid of the open packet); the layer above adds the socket id under its
// own key.
const LogKeySession = "session_id"

// WriteBufferSize is the WebSocket write buffer: it holds a whole frame of
// most events; see newMelody.
const WriteBufferSize = 4096

func (s *Server[D]) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = s.cfg.MaxPayload
	m.Config.MessageBufferSize = s.cfg.OutboundBuffer
	m.Config.WriteWait = s.cfg.WriteTimeout
	m.Config.PongWait = wsKeepaliveOff
	m.Config.PingPeriod = wsKeepaliveOff
	// ServeHTTP checked the origin already; melody's default accepts all.
	m.Upgrader.CheckOrigin = s.cfg.Origins.Allow
	m.Upgrader.HandshakeTimeout = s.cfg.WriteTimeout
	m.Upgrader.Error = s.upgradeError
	m.Upgrader.WriteBufferPool = new(sync.Pool) // idle connections hold no write buffer
	// A frame longer than the write buffer goes out with writev (buffer plus
	// the rest) instead of write: under fan-out, melody's 1 KiB buffer made
	// every frame with a 1 KiB payload ~25% dearer in CPU (pprof, issue 7).
	// Buffers are pooled, so the size costs nothing per idle connection.
	m.Upgrader.WriteBufferSize = WriteBufferSize
	m.HandleConnect(s.onOpen)
	m.HandleDisconnect(s.onEnd)
	m.HandleMessage(s.onText)
	m.HandleMessageBinary(s.onBinary)
	m.HandleSentMessage(s.onSent)
	m.HandleSentMessageBinary(s.onSent)
	m.HandleError(s.onError)
	return m
}

// Stats returns the counters.
func (s *Server[D]) Stats() Stats {
	s.mu.RLock()
	n := len(s.sessions)
	s.mu.RUnlock()
	return Stats{
		Connections:     n,
		FramesDropped:   s.dropped.Load(),
		SlowDisconnects: s.slowDisconnects.Load(),
		Refused:         s.refused.Load(),
		RefusedBy:       s.refusals.snapshot(),
		Opened:          s.opened.Load(),
		ProtocolErrors:  s.protocolErrors.Load(),
		BacklogPeak:     s.peak.Load(),
	}
}

// Shutdown refuses new sessions, closes every session with 1001 (cut at
// once after Cut), waits until every one has ended (Closed included) and
// stops melody. Call it once.
func (s *Server[D]) Shutdown() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	// Every upgrade in flight registers (or fails) before melody stops:
	// melody would block forever registering into a stopped hub.
	s.pending.Wait()
	for _, e := range s.all() {
		e.Close(CloseGoingAway, ReasonShutdown, ReasonShutdown, nil)
		if s.hardStop.Load() {
			e.kill()
		}
	}
	// Likewise melody unregisters each session through its hub; only once
	// every session has ended may the hub stop.
	s.live.Wait()
	if err := s.m.Close(); err != nil {
		s.log.Debug("eventwire: melody close", "err", err)
	}
}

// Cut makes shutdown hard: every open session gets its close frame queued
// and its TCP connection closed at once, now and for the rest of Shutdown.
func (s *Server[D]) Cut() {
	s.hardStop.Store(true)
	for _, e := range s.all() {
		e.Close(CloseGoingAway, ReasonShutdown, ReasonShutdown, nil)
		e.kill()
	}
}

func (s *Server[D]) all() []*Session[D] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	all := make([]*Session[D], 0, len(s.sessions))
	for _, e := range s.sessions {
		all = append(all, e)
	}
	return all
}
