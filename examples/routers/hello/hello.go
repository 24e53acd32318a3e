// Package hello is what the four router examples share that is not about
// routers: the eventwire handler of ../events.yaml (generated into
// ../helloevents) and the page that uses it. Each example mounts the same
// server on its own router, with that router's own middleware.
package hello

//go:generate go tool gen -spec ../events.yaml -out ../helloevents

import (
	"context"
	_ "embed"
	"net/http"

	"github.com/eventwire/eventwire/examples/routers/helloevents"
)

// Greeter answers hello. A socket's context (Conn.Context) carries the
// values of its upgrade request, so what the router's middleware stored
// there, before eventwire, is there for the handlers too.
type Greeter struct {
	// RequestInfo reads, from a socket's context, the request ID and the
	// client's IP the router's middleware stored; nil: none.
	RequestInfo func(ctx context.Context) (requestID, clientIP string)
}

// Hello greets the client and tells it what the router's middleware made
// of its upgrade request.
func (g Greeter) Hello(ctx context.Context, c *helloevents.Conn, m helloevents.Hello) (helloevents.HelloAck, error) {
	ack := helloevents.HelloAck{Greeting: "Hello, " + m.Name + "!"}
	if g.RequestInfo != nil {
		requestID, clientIP := g.RequestInfo(c.Context())
		ack.RequestID, ack.ClientIP = optional(requestID), optional(clientIP)
		c.Logger().Info("hello", "request_id", requestID, "client_ip", clientIP)
	}
	return ack, nil
}

// optional is s for an optional field: nil (left out) when empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

//go:embed page.html
var page []byte

// Page serves the examples' page: it imports the client module eventwire
// serves at /socket.io/helloevents.min.js, says hello and shows the ack.
func Page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}
