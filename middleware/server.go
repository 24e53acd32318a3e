package middleware

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/cluster"
)

// Server serves one Schema's events on Config.Path. Create it with New,
// register handlers with Handle/HandleEmpty/HandleAck/HandleEmptyAck and
// hooks (Authorize, BeforeUpgrade, OnConnect, OnDisconnect, Use, OnAny),
// mount it with ServeHTTP or Middleware, and Close it on shutdown.
type Server struct {
	name       string             // the namespace: "/" for the root
	root       *Server            // the Server New returned; itself for the root
	namespaces map[string]*Server // root only: Schema.Namespaces by name; read-only after New
	cfg        Config
	log        *slog.Logger
	m          *melody.Melody
	events     map[string]*eventEntry // read-only after New
	auth       *Shape                 // Schema.Auth; nil: CONNECT payloads are not checked
	authTag    string
	valid      *payloadValidator
	replies    replyShapes
	origins    originPolicy
	client     *servedClient // root only: the JS client module to serve; nil: none
	node       string        // root only: this node's id in a cluster (NodeID)
	cluster    *cluster.Node // root only: the adapter's side; nil: a single node

	hooksMu       sync.RWMutex
	onConnect     func(ctx context.Context, c *Conn) error
	onDisconnect  func(c *Conn, reason string)
	beforeUpgrade func(r *http.Request) error
	authorize     authorizeFunc
	middlewares   []func(EventHandler) EventHandler
	chain         EventHandler // middlewares around handleEvent
	onAny         func(ctx context.Context, c *Conn, ev InboundEvent)

	mu        sync.RWMutex
	closing   bool
	upgrading map[*http.Request]*engine       // root: handed to melody, not yet registered
	conns     map[*melody.Session]*engine     // root: every open session
	perIP     map[string]int                  // root: upgrading and open connections per remote address
	sockets   map[*Conn]*engine               // connected sockets (CONNECT answered) and their engines
	rooms     map[string]map[*Conn]roomMember // room -> members; see room_index.go
	joinSeq   uint64                          // last join sequence number handed out
	pending   sync.WaitGroup                  // entries of upgrading
	live      sync.WaitGroup                  // entries of conns
	closeOnce sync.Once
	closed    chan struct{} // closed when shutdown has finished
	hardStop  atomic.Bool   // Close or an expired Shutdown: cut connections at once

	dropped atomic.Uint64 // frames melody dropped on full buffers
	// slowDisconnects counts connections closed by Config.SlowConsumer.
	slowDisconnects atomic.Uint64
	limitedEvents   atomic.Uint64 // events refused by the rate limit
	refusedConns    atomic.Uint64 // handshakes refused by the connection limits
	strayAcks       atomic.Uint64 // ACKs from clients that no EmitWithAck waited for
	// protocolErrors counts connections closed for breaking the protocol
	// (1002, 1007, 1009); see closeBroken and onSessionError.
	protocolErrors atomic.Uint64
}

type options struct {
	cfg         Config
	log         *slog.Logger
	adapter     Adapter // WithAdapter; see adapter.go
	adapterOpts AdapterOptions
}

// Option configures New.
type Option func(*options)

// WithConfig sets the configuration; without it New uses DefaultConfig.
func WithConfig(cfg Config) Option {
	return func(o *options) { o.cfg = cfg }
}

// WithLogger sets the logger; without it New uses slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// New checks the configuration and the schema (bad shapes, bad patterns,
// duplicate names) and returns a Server. Errors are prefixed "eventwire: ".
func New(schema Schema, opts ...Option) (*Server, error) {
	o := options{cfg: DefaultConfig(), log: slog.Default()}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	s, err := newServer(schema, o)
	if err != nil && o.adapter != nil {
		_ = o.adapter.Close() // the Server owns it (WithAdapter)
	}
	return s, err
}

func newServer(schema Schema, o options) (*Server, error) {
	cfg := o.cfg
	cfg.AllowedOrigins = append([]string(nil), cfg.AllowedOrigins...)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	origins, _ := parseOrigins(cfg.AllowedOrigins) // validate checked it
	valid, err := newPayloadValidator(schema.Patterns)
	if err != nil {
		return nil, err
	}
	s, err := newNamespace(nil, "/", schema, valid)
	if err != nil {
		return nil, err
	}
	s.cfg, s.log, s.origins = cfg, o.log, origins
	s.upgrading = make(map[*http.Request]*engine)
	s.perIP = make(map[string]int)
	s.conns = make(map[*melody.Session]*engine)
	if err := s.addNamespaces(schema); err != nil {
		return nil, err
	}
	if s.client, err = newServedClient(cfg, schema.Client); err != nil {
		return nil, err
	}
	if err := s.checkRates(); err != nil {
		return nil, err
	}
	s.node = newID()
	if o.adapter != nil {
		if s.cluster, err = s.joinCluster(o.adapter, o.adapterOpts); err != nil {
			return nil, err
		}
	}
	s.m = s.newMelody() // last: it starts melody's hub goroutine
	return s, nil
}

// wsKeepaliveOff stands in for "never": melody's WebSocket ping/pong cannot
// be switched off, and its read deadline only moves on WebSocket pongs.
// Liveness is Engine.IO's ping/pong instead, which JS clients can see.
const wsKeepaliveOff = 100 * 365 * 24 * time.Hour

// writeBufferSize holds a whole frame of most events; see newMelody.
const writeBufferSize = 4096

func (s *Server) newMelody() *melody.Melody {
	m := melody.New()
	m.Config.MaxMessageSize = s.cfg.MaxPayload
	m.Config.MessageBufferSize = s.cfg.OutboundBuffer
	m.Config.WriteWait = s.cfg.WriteTimeout
	m.Config.PongWait = wsKeepaliveOff
	m.Config.PingPeriod = wsKeepaliveOff
	// ServeHTTP checked the origin already; melody's default accepts all.
	m.Upgrader.CheckOrigin = s.origins.allow
	m.Upgrader.HandshakeTimeout = s.cfg.WriteTimeout
	m.Upgrader.WriteBufferPool = new(sync.Pool) // idle connections hold no write buffer
	// A frame longer than the write buffer goes out with writev (buffer plus
	// the rest) instead of write: under fan-out, melody's 1 KiB buffer made
	// every frame with a 1 KiB payload ~25% dearer in CPU (pprof, issue 7).
	// Buffers are pooled, so the size costs nothing per idle connection.
	m.Upgrader.WriteBufferSize = writeBufferSize
	m.HandleConnect(s.onSessionOpen)
	m.HandleDisconnect(s.onSessionEnd)
	m.HandleMessage(s.onMessage)
	m.HandleMessageBinary(s.onBinary)
	m.HandleError(s.onSessionError)
	return m
}

// ServeHTTP answers the Engine.IO WebSocket handshake on Config.Path, and
// the generated JS client at Config.Path + its name (see ClientModule);
// other paths get 404. Refused handshakes get Engine.IO's JSON errors.
// An accepted connection runs on a goroutine of its own: ServeHTTP returns
// once it is upgraded, and the request's context (Conn.Request) is
// cancelled when the connection ends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s = s.root
	if !strings.HasPrefix(r.URL.Path, s.cfg.Path) {
		http.NotFound(w, r)
		return
	}
	if s.client != nil && s.client.has(r.URL.Path) {
		s.client.serve(w, r, s.origins)
		return
	}
	if he := s.checkHandshake(r); he.status != 0 {
		he.write(w)
		return
	}
	if he := s.checkBeforeUpgrade(r); he.status != 0 {
		he.write(w)
		return
	}
	// The connection outlives ServeHTTP (see serveConn); its request's
	// context ends with it, as if ServeHTTP had returned then.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	r = r.WithContext(ctx)
	e, he := s.beginUpgrade(r)
	if he.status != 0 {
		cancel()
		he.write(w)
		return
	}
	up := &upgrade{released: make(chan struct{})}
	go s.serveConn(&hijackRecorder{ResponseWriter: w, e: e, up: up}, r, cancel)
	<-up.released
	if up.panicked != nil {
		panic(up.panicked) // before the hijack: net/http recovers it, as it always did
	}
}

// serveConn upgrades r and runs the connection until it ends, on a
// goroutine of its own. The goroutine net/http serves a request on keeps
// that connection's 4 KiB read and write buffers and a deep stack for as
// long as the handler runs, which for a WebSocket is its whole life;
// ServeHTTP waits only until the connection is hijacked (up.released), so
// they are freed (issue 7: memory per idle connection). Nothing here may
// keep h (and so the ResponseWriter) once melody is done with it.
func (s *Server) serveConn(h *hijackRecorder, r *http.Request, cancel context.CancelFunc) {
	up := h.up
	defer cancel()
	defer func() {
		p := recover()
		if !up.hijacked {
			up.panicked = p
			close(up.released)
		} else if p != nil {
			s.log.Error("eventwire: connection panicked", "remote", r.RemoteAddr, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	err := s.m.HandleRequest(h, r)
	s.endUpgrade(r)
	if err != nil {
		s.log.Debug("eventwire: upgrade failed", "remote", r.RemoteAddr, "err", err)
	}
}

// Middleware routes requests under Config.Path to s and all others to next.
func (s *Server) Middleware(next http.Handler) http.Handler {
	s = s.root
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, s.cfg.Path) {
			s.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// OnConnect sets the function run after a socket's CONNECT is answered
// (after Authorize, if any, accepted it). It runs on the connection's read
// loop; an error (or panic) is logged and the
// socket is disconnected (41) with reason "server namespace disconnect".
func (s *Server) OnConnect(fn func(ctx context.Context, c *Conn) error) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.onConnect = fn
}

// OnDisconnect sets the function run once for every socket whose CONNECT
// was answered, when its connection ends, with a socket.io-style reason:
// "client namespace disconnect", "server namespace disconnect", "transport
// close", "transport error", "ping timeout", "parse error" or "server
// shutting down". It must not call Server.Close.
//
// Rooms: by the time fn runs the socket has left every room (no emit
// reaches it, RoomMembers no longer lists it), yet c.Rooms() still returns
// the rooms it was in, so fn can tell each room's remaining members, e.g.
// with s.To(room).Emit(...). Per-connection data (Key) is still readable.
// Waiting EmitWithAck calls have returned ErrDisconnected.
func (s *Server) OnDisconnect(fn func(c *Conn, reason string)) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.onDisconnect = fn
}

// Len returns the number of connected sockets.
func (s *Server) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sockets)
}

// beginUpgrade admits a handshake within the connection limits and
// registers its engine as upgrading.
func (s *Server) beginUpgrade(r *http.Request) (*engine, handshakeError) {
	e := newEngine(s, r)
	e.ip = remoteIP(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return nil, shuttingDown()
	case s.cfg.MaxConnections > 0 && len(s.upgrading)+len(s.conns) >= s.cfg.MaxConnections:
		s.refusedConns.Add(1)
		return nil, tooManyConnections("Too many connections")
	case s.cfg.MaxConnectionsPerIP > 0 && s.perIP[e.ip] >= s.cfg.MaxConnectionsPerIP:
		s.refusedConns.Add(1)
		return nil, tooManyConnections("Too many connections from this address")
	}
	s.perIP[e.ip]++
	s.pending.Add(1)
	s.upgrading[r] = e
	return e, handshakeError{}
}

// endUpgrade settles an upgrade melody refused before registering it.
func (s *Server) endUpgrade(r *http.Request) {
	s.mu.Lock()
	e, waiting := s.upgrading[r]
	delete(s.upgrading, r)
	if waiting {
		s.releaseIPLocked(e)
	}
	s.mu.Unlock()
	if waiting {
		s.pending.Done()
	}
}

// releaseIPLocked gives back the connection e counted against its address.
func (s *Server) releaseIPLocked(e *engine) {
	if s.perIP[e.ip]--; s.perIP[e.ip] <= 0 {
		delete(s.perIP, e.ip)
	}
}

// remoteIP is the host of r.RemoteAddr, the peer of the TCP connection
// (behind a proxy: the proxy's address).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) lookup(sess *melody.Session) *engine {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.conns[sess]
}

// removeSocket takes c out of the broadcast recipients and the rooms.
func (s *Server) removeSocket(c *Conn) {
	s.mu.Lock()
	s.dropSocketLocked(c)
	s.mu.Unlock()
}

func (s *Server) hooks() (func(context.Context, *Conn) error, func(*Conn, string)) {
	s.hooksMu.RLock()
	defer s.hooksMu.RUnlock()
	return s.onConnect, s.onDisconnect
}
