package middleware

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Handshake is what a client sent to connect a socket, as socket.io's
// socket.handshake holds it. It is available from Authorize on.
type Handshake struct {
	// Auth is the CONNECT packet's payload as the client sent it (its auth
	// object; nil when there was none), whether or not the namespace's
	// schema declares auth. With Config.Recovery on, the pid and offset
	// the client merged into it for connection state recovery are left
	// out: they are the runtime's, and the pid is a secret.
	Auth json.RawMessage
	// Query is the upgrade request's query (EIO and transport included).
	Query url.Values
	// Headers are the upgrade request's headers. Treat them as read only.
	Headers http.Header
	// Address is the client's network address as the HTTP server saw it
	// (RemoteAddr); behind a proxy, see Headers for the client's own.
	Address string
	// Time is when the server received the CONNECT packet.
	Time time.Time
	// URL is the upgrade request's URL (path and query), and Secure
	// whether it came over TLS.
	URL    string
	Secure bool
}

// Handshake returns what the client sent to connect this socket. Query is
// parsed on each call; keep the result rather than calling it per event.
func (c *Conn) Handshake() Handshake {
	r := c.Request()
	return Handshake{
		Auth:    slices.Clip(c.auth),
		Query:   r.URL.Query(),
		Headers: r.Header,
		Address: r.RemoteAddr,
		Time:    c.connectAt,
		URL:     r.URL.RequestURI(),
		Secure:  r.TLS != nil,
	}
}
