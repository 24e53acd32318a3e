package engineio

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
)

// Refusal is an Engine.IO HTTP error: its status and JSON body
// {"code":N,"message":"..."} are what socket.io servers send.
type Refusal struct {
	Status  int
	Code    int
	Message string
}

// Error builds Engine.IO's error for code, with the reference server's
// message; code 3 with a message of our own is used for a closing server.
func Error(code int) *Refusal {
	switch code {
	case 0:
		return &Refusal{http.StatusBadRequest, 0, "Transport unknown"}
	case 1:
		return &Refusal{http.StatusBadRequest, 1, "Session ID unknown"}
	case 2:
		return &Refusal{http.StatusBadRequest, 2, "Bad handshake method"}
	case 4:
		return &Refusal{http.StatusForbidden, 4, "Forbidden"}
	case 5:
		return &Refusal{http.StatusBadRequest, 5, "Unsupported protocol version"}
	}
	return &Refusal{http.StatusBadRequest, 3, "Bad request"}
}

// unavailable refuses a handshake the server cannot take now (a connection
// limit, a shutdown); clients retry with their reconnection backoff.
func unavailable(message string) *Refusal {
	return &Refusal{http.StatusServiceUnavailable, 3, message}
}

// Write sends the refusal as the response.
func (he *Refusal) Write(w http.ResponseWriter) {
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{he.Code, he.Message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(he.Status)
	_, _ = w.Write(body)
}

// ServeHTTP answers an Engine.IO WebSocket handshake. Refused handshakes
// get Engine.IO's JSON errors. An accepted connection runs on a goroutine
// of its own: ServeHTTP returns once it is upgraded, and the request's
// context is cancelled when the connection ends.
func (s *Server[D]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if he, reason := s.check(r); he != nil {
		s.refusals.add(reason)
		he.Write(w)
		return
	}
	// The connection outlives ServeHTTP (see serveConn); its request's
	// context ends with it, as if ServeHTTP had returned then.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	r = r.WithContext(ctx)
	if !canHijack(w) {
		cancel()
		s.refuseHijack(w, r, w, nil)
		return
	}
	e, he := s.beginUpgrade(r)
	if he != nil {
		cancel()
		reason := RefusedShutdown
		if he.Status == http.StatusServiceUnavailable && he.Message != "Server shutting down" {
			reason = RefusedLimit
			s.warn("limit", "eventwire: handshake refused: "+he.Message, r,
				"max_connections", s.cfg.MaxConnections, "max_connections_per_ip", s.cfg.MaxConnectionsPerIP)
		}
		s.refusals.add(reason)
		he.Write(w)
		return
	}
	up := &upgrade{released: make(chan struct{})}
	go s.serveConn(&hijackRecorder{ResponseWriter: w, netConn: &e.netConn, up: up}, r, cancel)
	<-up.released
	if up.panicked != nil {
		panic(up.panicked) // before the hijack: net/http recovers it, as it always did
	}
}

// check refuses, before any upgrade, what the WebSocket-only Engine.IO v4
// transport cannot serve, so every refusal has a JSON body; then Admit.
// reason names a refusal for Stats.RefusedBy.
func (s *Server[D]) check(r *http.Request) (he *Refusal, reason string) {
	if r.Method != http.MethodGet {
		if r.Method == http.MethodConnect && r.ProtoMajor >= 2 {
			s.warn("http2", "eventwire: handshake refused: a WebSocket over HTTP/2 (extended CONNECT, RFC 8441) is not supported", r,
				"fix", "serve the eventwire path over HTTP/1.1 (turn off the :protocol websocket setting, or HTTP/2 for that path, at the server or proxy); browsers then upgrade over HTTP/1.1")
			return Error(2), RefusedHTTP2
		}
		return Error(2), RefusedMethod
	}
	q := r.URL.Query()
	if q.Get("EIO") != "4" {
		return Error(5), RefusedVersion
	}
	if q.Get("transport") != "websocket" {
		// Long-polling included: socket.io answers so when its transports
		// leave it out, as eventwire's do.
		return Error(0), RefusedTransport
	}
	if q.Has("sid") {
		return Error(1), RefusedSession // an upgrade from polling: no such session here
	}
	if !s.cfg.Origins.Allow(r) {
		s.warn("origin", "eventwire: handshake refused: origin not allowed", r,
			"origin", r.Header.Get("Origin"), "fix", "add the origin to allowed_origins if the page is yours")
		return Error(4), RefusedOrigin
	}
	if !isWebSocketHandshake(r) {
		return Error(3), RefusedBadRequest
	}
	if s.cfg.Admit != nil {
		return s.cfg.Admit(r), RefusedAdmit
	}
	return nil, ""
}

// isWebSocketHandshake checks what gorilla's Upgrader would otherwise refuse
// with a plain-text body.
func isWebSocketHandshake(r *http.Request) bool {
	if !headerHasToken(r.Header, "Connection", "upgrade") ||
		!headerHasToken(r.Header, "Upgrade", "websocket") ||
		!headerHasToken(r.Header, "Sec-Websocket-Version", "13") {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-Websocket-Key"))
	return err == nil && len(key) == 16
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// refuseHijack answers an upgrade whose connection cannot be taken over,
// behind writer: Engine.IO's JSON error, and a warning with the fix. err
// is the Hijack's, when a wrapper claimed it could and could not (echo's
// Timeout middleware: its Hijack reaches http.TimeoutHandler's writer).
func (s *Server[D]) refuseHijack(w http.ResponseWriter, r *http.Request, writer http.ResponseWriter, err error) {
	s.refusals.add(RefusedHijack)
	attrs := []any{"writer", fmt.Sprintf("%T", writer),
		"fix", "mount eventwire before the middleware that wraps the ResponseWriter (timeouts, compression, status recorders), or give the wrapper an Unwrap() http.ResponseWriter method; http.TimeoutHandler cannot wrap a WebSocket"}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	s.warn("hijack", "eventwire: WebSocket upgrade impossible: the ResponseWriter cannot be hijacked", r, attrs...)
	(&Refusal{http.StatusInternalServerError, 3, "WebSocket upgrade impossible on this server (see its log)"}).Write(w)
}

// upgradeError is gorilla's Upgrader.Error: a Hijack that failed gets
// refuseHijack's answer; the rest (the checks before the upgrade leave
// little) gorilla's own plain-text error.
func (s *Server[D]) upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	if h, ok := w.(*hijackRecorder); ok && h.up.hijackErr != nil {
		s.refuseHijack(w, r, h.ResponseWriter, h.up.hijackErr)
		return
	}
	w.Header().Set("Sec-Websocket-Version", "13")
	http.Error(w, http.StatusText(status), status)
}

// beginUpgrade admits a handshake within the connection limits and
// registers its session as upgrading.
func (s *Server[D]) beginUpgrade(r *http.Request) (*Session[D], *Refusal) {
	e := &Session[D]{srv: s, req: r, id: NewID(), ip: remoteIP(r)}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closing:
		return nil, unavailable("Server shutting down")
	case s.cfg.MaxConnections > 0 && len(s.upgrading)+len(s.sessions) >= s.cfg.MaxConnections:
		s.refused.Add(1)
		return nil, unavailable("Too many connections")
	case s.cfg.MaxConnectionsPerIP > 0 && s.perIP[e.ip] >= s.cfg.MaxConnectionsPerIP:
		s.refused.Add(1)
		return nil, unavailable("Too many connections from this address")
	}
	s.perIP[e.ip]++
	s.pending.Add(1)
	s.upgrading[r] = e
	return e, nil
}

// endUpgrade settles an upgrade melody refused before registering it.
func (s *Server[D]) endUpgrade(r *http.Request) {
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
func (s *Server[D]) releaseIPLocked(e *Session[D]) {
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

// serveConn upgrades r and runs the connection until it ends, on a
// goroutine of its own. The goroutine net/http serves a request on keeps
// that connection's 4 KiB read and write buffers and a deep stack for as
// long as the handler runs, which for a WebSocket is its whole life;
// ServeHTTP waits only until the connection is hijacked (up.released), so
// they are freed (issue 7: memory per idle connection). Nothing here may
// keep h (and so the ResponseWriter) once melody is done with it.
func (s *Server[D]) serveConn(h *hijackRecorder, r *http.Request, cancel context.CancelFunc) {
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

// hijackRecorder keeps the hijacked net.Conn for its session: melody offers
// no way to abort a session whose close frame cannot be delivered (a full
// buffer drops it), so closing the socket itself is the last resort. It
// also reaches a Hijacker behind wrappers that implement Unwrap, and tells
// ServeHTTP when it may return (see serveConn).
type hijackRecorder struct {
	http.ResponseWriter
	netConn *net.Conn // the session's; set before melody registers it, so before it is shared
	up      *upgrade
}

// upgrade is what ServeHTTP and the goroutine serving the connection
// (serveConn) share.
type upgrade struct {
	// released is closed once the ResponseWriter is no longer used: at the
	// hijack, or when an upgrade that never hijacked has ended.
	released  chan struct{}
	hijacked  bool  // set and read on serveConn's goroutine only
	hijackErr error // a Hijack that failed; serveConn's goroutine only
	panicked  any   // a panic before the hijack, for ServeHTTP to re-raise
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		h.up.hijackErr = err // for upgradeError, which gorilla calls next
		return nc, brw, err
	}
	*h.netConn = nc
	h.up.hijacked = true
	close(h.up.released) // gorilla writes the 101 to nc, never again to w
	return nc, brw, err
}
