package middleware

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strings"
)

// handshakeError is an Engine.IO HTTP error: its status and JSON body
// {"code":N,"message":"..."} are what socket.io servers send.
type handshakeError struct {
	status  int
	code    int
	message string
}

// eioError builds Engine.IO's error for code, with the reference server's
// message; code 3 with a message of our own is used for a closing server.
func eioError(code int) handshakeError {
	switch code {
	case 0:
		return handshakeError{http.StatusBadRequest, 0, "Transport unknown"}
	case 1:
		return handshakeError{http.StatusBadRequest, 1, "Session ID unknown"}
	case 2:
		return handshakeError{http.StatusBadRequest, 2, "Bad handshake method"}
	case 4:
		return handshakeError{http.StatusForbidden, 4, "Forbidden"}
	case 5:
		return handshakeError{http.StatusBadRequest, 5, "Unsupported protocol version"}
	}
	return handshakeError{http.StatusBadRequest, 3, "Bad request"}
}

// tooManyConnections refuses a handshake over a connection limit; clients
// retry with their reconnection backoff.
func tooManyConnections(message string) handshakeError {
	return handshakeError{http.StatusServiceUnavailable, 3, message}
}

func shuttingDown() handshakeError {
	return handshakeError{http.StatusServiceUnavailable, 3, "Server shutting down"}
}

func (he handshakeError) write(w http.ResponseWriter) {
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{he.code, he.message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(he.status)
	_, _ = w.Write(body)
}

// checkHandshake refuses, before any upgrade, what the WebSocket-only
// Engine.IO v4 transport cannot serve, so every refusal has a JSON body.
// The zero handshakeError means the handshake may proceed.
func (s *Server) checkHandshake(r *http.Request) handshakeError {
	if r.Method != http.MethodGet {
		return eioError(2)
	}
	q := r.URL.Query()
	if q.Get("EIO") != "4" {
		return eioError(5)
	}
	switch q.Get("transport") {
	case "websocket":
	case "polling":
		return eioError(3) // long-polling is not supported
	default:
		return eioError(0)
	}
	if q.Has("sid") {
		return eioError(1) // an upgrade from polling: no such session here
	}
	if !s.origins.allow(r) {
		return eioError(4)
	}
	if !isWebSocketHandshake(r) {
		return eioError(3)
	}
	return handshakeError{}
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

// hijackRecorder keeps the hijacked net.Conn for its engine: melody offers no
// way to abort a session whose close frame cannot be delivered (a full
// buffer drops it), so closing the socket itself is the last resort. It
// also reaches a Hijacker behind wrappers that implement Unwrap, and tells
// ServeHTTP when it may return (see serveConn).
type hijackRecorder struct {
	http.ResponseWriter
	e  *engine
	up *upgrade
}

// upgrade is what ServeHTTP and the goroutine serving the connection
// (serveConn) share.
type upgrade struct {
	// released is closed once the ResponseWriter is no longer used: at the
	// hijack, or when an upgrade that never hijacked has ended.
	released chan struct{}
	hijacked bool // set and read on serveConn's goroutine only
	panicked any  // a panic before the hijack, for ServeHTTP to re-raise
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		h.e.netConn = nc // before melody registers the session, so before e is shared
		h.up.hijacked = true
		close(h.up.released) // gorilla writes the 101 to nc, never again to w
	}
	return nc, brw, err
}
