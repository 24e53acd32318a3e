package middleware

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/eventwire/eventwire/internal/cluster"
	"github.com/eventwire/eventwire/internal/engineio"
)

// Server serves one Schema's events on Config.Path. Create it with New,
// register handlers with Handle/HandleEmpty/HandleAck/HandleEmptyAck and
// hooks (Authorize, BeforeUpgrade, OnConnect, OnDisconnect, Use, OnAny),
// mount it with ServeHTTP or Middleware, and Close it on shutdown.
type Server struct {
	*core         // what every namespace of the server shares
	name   string // the namespace: "/" for the root
	events map[string]*eventEntry
	auth   *Shape         // Schema.Auth; nil: CONNECT payloads are not checked
	rec    *recoveryState // nil: Config.Recovery is off
	// authTag is Schema.AuthTag.
	authTag string

	hooksMu      sync.RWMutex
	onConnect    func(ctx context.Context, c *Conn) error
	onDisconnect func(c *Conn, reason string)
	authorize    authorizeFunc
	middlewares  []func(EventHandler) EventHandler
	chain        EventHandler // middlewares around handleEvent
	onAny        func(ctx context.Context, c *Conn, ev InboundEvent)
	untyped      map[string]UntypedHandler // HandleUntyped; see untyped.go

	mu      sync.RWMutex
	closing bool
	sockets map[*Conn]*session              // connected sockets (CONNECT answered) and their sessions
	rooms   map[string]map[*Conn]roomMember // room -> members; see room_index.go
	joinSeq uint64                          // last join sequence number handed out
}

// core is the state every namespace of one New shares: the configuration,
// the Engine.IO server its connections arrive on, the namespaces, the
// cluster node and the counters of the Socket.IO layer. Its fields are set
// by New and read-only after, but for the hooks under hooksMu and the
// counters.
type core struct {
	cfg        Config
	log        *slog.Logger
	root       *Server            // namespace "/", the Server New returned
	namespaces map[string]*Server // every namespace by name, "/" included
	valid      *payloadValidator
	replies    replyShapes
	eio        *engineio.Server[connection]
	origins    engineio.Origins
	client     *servedClient // the JS client module to serve; nil: none
	node       string        // this node's id in a cluster (NodeID)
	cluster    *cluster.Node // the adapter's side; nil: a single node
	sessions   *sessionStore // recovery's sessions in the broker; nil but in a cluster with recovery

	upgradeMu     sync.RWMutex
	beforeUpgrade func(r *http.Request) error

	closeOnce sync.Once
	closed    chan struct{} // closed when shutdown has finished

	obs observers // Observe

	limitedEvents atomic.Uint64 // events refused by the rate limit
	ackTimeouts   atomic.Uint64 // EmitWithAck calls whose context ended first
	strayAcks     atomic.Uint64 // ACKs from clients that no EmitWithAck waited for

	recoveryAttempts      atomic.Uint64 // CONNECTs that asked to come back
	recoveredSessions     atomic.Uint64 // ... and did
	framesReplayed        atomic.Uint64 // events sent again to recovered sockets
	recoveryLogGaps       atomic.Uint64 // log entries this node never delivered (recovery_shared.go)
	recoverySessionErrors atomic.Uint64 // session writes to the broker that failed
	// recoveryFailed counts the rest by why (recoveryFailed[recovered]
	// counts nothing that is read).
	recoveryFailed [failures]atomic.Uint64
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
	origins, _ := engineio.ParseOrigins(cfg.AllowedOrigins) // validate checked it
	valid, err := newPayloadValidator(schema.Patterns)
	if err != nil {
		return nil, err
	}
	if err := valid.registerMaps(schema.Maps); err != nil {
		return nil, err
	}
	c := &core{
		cfg: cfg, log: o.log, origins: origins, valid: valid, replies: newReplyShapes(),
		node: engineio.NewID(), namespaces: make(map[string]*Server),
	}
	if err := c.addNamespaces(schema); err != nil {
		return nil, err
	}
	if c.client, err = newServedClient(cfg, schema.Client); err != nil {
		return nil, err
	}
	if err := c.checkRates(); err != nil {
		return nil, err
	}
	if o.adapter != nil {
		if c.cluster, err = c.joinCluster(o.adapter, o.adapterOpts); err != nil {
			return nil, err
		}
	}
	c.eio = engineio.New(c.engineConfig(), connHandler{c}) // last: it starts melody's hub goroutine
	return c.root, nil
}

// engineConfig is what the Engine.IO layer takes of the Config.
func (c *core) engineConfig() engineio.Config {
	return engineio.Config{
		PingInterval:        c.cfg.PingInterval,
		PingTimeout:         c.cfg.PingTimeout,
		MaxPayload:          c.cfg.MaxPayload,
		WriteTimeout:        c.cfg.WriteTimeout,
		OutboundBuffer:      c.cfg.OutboundBuffer,
		OutboundBufferBytes: c.cfg.OutboundBufferBytes,
		DropSlow:            c.cfg.SlowConsumer == SlowConsumerDrop,
		MaxConnections:      c.cfg.MaxConnections,
		MaxConnectionsPerIP: c.cfg.MaxConnectionsPerIP,
		Origins:             c.origins,
		Admit:               c.checkBeforeUpgrade,
		Log:                 c.log,
	}
}

// ServeHTTP answers the Engine.IO WebSocket handshake on Config.Path, and
// the generated JS client at Config.Path + its name (see ClientModule);
// other paths get 404. Refused handshakes get Engine.IO's JSON errors.
// An accepted connection runs on a goroutine of its own: ServeHTTP returns
// once it is upgraded, and the request's context (Conn.Request) is
// cancelled when the connection ends.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case !strings.HasPrefix(r.URL.Path, s.cfg.Path):
		http.NotFound(w, r)
	case s.client != nil && s.client.has(r.URL.Path):
		s.client.serve(w, r, s.origins)
	default:
		s.eio.ServeHTTP(w, r)
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
