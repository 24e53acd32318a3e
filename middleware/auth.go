package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
)

// This file holds the two connect-time checks: BeforeUpgrade on the HTTP
// request, Authorize on the Socket.IO CONNECT packet.

// HTTPError refuses an upgrade from a BeforeUpgrade function with an HTTP
// status (4xx or 5xx; anything else, and 0, means 403) and the message of
// the Engine.IO error body (empty means "Forbidden").
type HTTPError struct {
	Status  int
	Message string
}

func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.status())
	}
	return "eventwire: refused with HTTP " + strconv.Itoa(e.status()) + ": " + msg
}

func (e *HTTPError) status() int {
	if e.Status < 400 || e.Status > 599 {
		return http.StatusForbidden
	}
	return e.Status
}

// BeforeUpgrade sets the function run on every handshake request that is
// a well-formed Engine.IO WebSocket request from an allowed origin, before
// the WebSocket upgrade: it sees the request's cookies and headers (the
// app's own session) and refuses by returning an error, so refused clients
// never get a socket. The refusal is an HTTP error with Engine.IO's JSON
// body {"code":4,"message":"Forbidden"}: status 403, or the Status and
// Message of an *HTTPError (found with errors.As). Other errors are logged
// at debug level; a panic is logged and refuses with 500.
func (s *Server) BeforeUpgrade(fn func(r *http.Request) error) {
	s.upgradeMu.Lock()
	defer s.upgradeMu.Unlock()
	s.beforeUpgrade = fn
}

// checkBeforeUpgrade runs the BeforeUpgrade function; nil lets the upgrade
// go on.
func (s *core) checkBeforeUpgrade(r *http.Request) *engineio.Refusal {
	s.upgradeMu.RLock()
	fn := s.beforeUpgrade
	s.upgradeMu.RUnlock()
	if fn == nil {
		return nil
	}
	err := s.guard("BeforeUpgrade", func() error { return fn(r) }, func() []any { return []any{"remote", r.RemoteAddr} })
	var p *panicError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &p):
		return &engineio.Refusal{Status: http.StatusInternalServerError, Code: 4, Message: "Forbidden"}
	}
	s.log.Debug("eventwire: upgrade refused", "remote", r.RemoteAddr, "err", err)
	he := engineio.Error(4)
	var ue *HTTPError
	if errors.As(err, &ue) && ue != nil {
		he.Status = ue.status()
		if ue.Message != "" {
			he.Message = ue.Message
		}
	}
	return he
}

// authorizeFunc decodes and validates a shape-checked auth payload and
// runs the app's function on it.
type authorizeFunc func(ctx context.Context, c *Conn, raw json.RawMessage) error

// Authorize sets the typed check run on every CONNECT, before the server
// answers `40{"sid":..}` (OnConnect runs after it accepts); T is the auth
// payload type, Schema.Auth its shape. The payload (`{}` when the client
// sent none) is checked against the Shape, decoded into T and validated
// (Struct for structs, Var(v, Schema.AuthTag) otherwise) before fn runs;
// an invalid one is refused without calling fn. fn accepts with nil and
// refuses with an error: the client gets a CONNECT_ERROR
// `44{"message":...,"data":{"code":...}}` carrying an *Error's message,
// code and details, or "internal error"/"internal" for any other error
// (its text is logged, never sent), and the WebSocket is then closed with
// 1008 (policy violation). fn runs on the connection's read loop: keep it
// short. Data it stores with a Key stays with the connection.
//
// Without Authorize, a schema's Auth payload is still shape-checked, but
// not validated. A later Authorize replaces an earlier one. It fails if the
// schema declares no Auth, fn is nil, T cannot hold an object, or T's
// validation tags are malformed.
func Authorize[T any](s *Server, fn func(ctx context.Context, c *Conn, auth T) error) error {
	switch {
	case s == nil:
		return errors.New("eventwire: authorize: nil Server")
	case fn == nil:
		return errors.New("eventwire: authorize: nil function")
	case s.auth == nil:
		return errors.New("eventwire: authorize: the schema declares no auth payload")
	}
	decode, err := newDecoder[T](s, "authorize", "auth", s.auth, s.authTag)
	if err != nil {
		return err
	}
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.authorize = func(ctx context.Context, c *Conn, raw json.RawMessage) error {
		v, err := decode(ctx, c, []json.RawMessage{raw})
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Code == codeInvalidPayload {
				e.Message = invalidAuthMessage
			}
			return err
		}
		return fn(ctx, c, v)
	}
	return nil
}

const invalidAuthMessage = "invalid auth"

// authorizeConnect checks a CONNECT payload (nil when absent) and runs the
// Authorize function. It returns nil to accept, or the error the client
// gets in its CONNECT_ERROR.
func (s *Server) authorizeConnect(c *Conn, raw []byte) *Error {
	if s.auth == nil {
		return nil // no schema: anything the protocol allows is accepted, unread
	}
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	var w shapeWalker
	w.value(s.auth, raw, "", "required")
	if len(w.details) > 0 {
		return &Error{Code: codeInvalidPayload, Message: invalidAuthMessage, Details: w.details}
	}
	s.hooksMu.RLock()
	fn := s.authorize
	s.hooksMu.RUnlock()
	if fn == nil {
		return nil
	}
	err := contained(func() error { return fn(c.ctx, c, raw) })
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && e != nil {
		s.log.Debug("eventwire: connect refused", append(c.logAttrs(), "code", e.Code)...)
		return e
	}
	s.log.Error("eventwire: Authorize failed", append(c.logAttrs(), "err", err)...)
	return errInternal()
}

// refuseConnect sends the CONNECT_ERROR; when no other socket shares the
// WebSocket it then closes it with 1008. The socket never connected, so no
// OnDisconnect runs. The close frame follows the 44 in the same write
// queue, so the client reads the 44 first; socket.io-client gives up this
// connection after connect_error anyway. Other namespaces' sockets on the
// WebSocket stay connected.
func (c *Conn) refuseConnect(e *Error) {
	c.end(engineio.ClosePolicyViolation, "connect refused", reasonConnectRefused, connectErrorFrame(c.s.name, e))
}

// connectErrorFrame builds `44{"message":...,"data":{"code":...,"details":[...]}}`,
// the shape socket.io-client surfaces as connect_error's err.message and
// err.data.
func connectErrorFrame(namespace string, e *Error) []byte {
	type data struct {
		Code    string   `json:"code"`
		Details []Detail `json:"details,omitempty"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct { // strings only: cannot fail
		Message string `json:"message"`
		Data    data   `json:"data"`
	}{e.Message, data{e.Code, e.Details}})
	return protocol.Append(nil, protocol.Packet{
		Type: protocol.ConnectError, Namespace: namespace, Data: bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}),
	})
}
