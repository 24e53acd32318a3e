// Command conformance is the server socket.io's protocol test suites
// expect of a reference implementation (docs/engine.io-protocol and
// docs/socket.io-protocol in socketio/socket.io), built on eventwire's
// public API with its untyped layer (docs/UNTYPED.md): it declares no
// event, and on "/" and "/custom" it
//
//   - emits "auth" on connect with the CONNECT payload as the client sent
//     it (Conn.Handshake), {} when there was none;
//   - echoes "message" as "message-back" with the same arguments, binary
//     attachments included;
//   - answers "message-with-ack" with an ack holding the same arguments.
//
// Heartbeats are short (ping_interval 300ms, ping_timeout 200ms) and the
// connect timeout 1s, as the suites assume.
//
//	go run ./examples/conformance          # http://127.0.0.1:3000
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/middleware"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("conformance", "127.0.0.1:3000", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	handler, srv, err := newServer(conformanceConfig(settings.Config), logger)
	if err != nil {
		return err
	}
	return serve.Run("conformance", settings, handler, srv, logger)
}

// conformanceConfig sets the timings the test suites assume on cfg. Rate
// limits are off (a suite sends as fast as it can), and so is connection
// state recovery: the suites expect events without an offset argument.
func conformanceConfig(cfg middleware.Config) middleware.Config {
	cfg.PingInterval, cfg.PingTimeout = 300*time.Millisecond, 200*time.Millisecond
	cfg.ConnectTimeout = time.Second
	cfg.RateLimit = 0
	cfg.Recovery = false
	cfg.AllowedOrigins = []string{"*"}
	return cfg
}

// newServer serves "/" and "/custom" with the echo handlers.
func newServer(cfg middleware.Config, logger *slog.Logger) (http.Handler, *middleware.Server, error) {
	srv, err := middleware.New(middleware.Schema{Namespaces: []middleware.NamespaceSchema{{Name: "/custom"}}},
		middleware.WithConfig(cfg), middleware.WithLogger(logger))
	if err != nil {
		return nil, nil, err
	}
	for _, ns := range []*middleware.Server{srv, srv.Namespace("/custom")} {
		ns.OnConnect(sendAuth)
		if err := middleware.HandleUntyped(ns, "message", echo); err != nil {
			return nil, nil, err
		}
		if err := middleware.HandleUntyped(ns, "message-with-ack", ackBack); err != nil {
			return nil, nil, err
		}
	}
	return srv, srv, nil
}

// sendAuth emits "auth" with the CONNECT payload as sent, {} for none.
func sendAuth(ctx context.Context, c *middleware.Conn) error {
	auth := c.Handshake().Auth
	if auth == nil {
		auth = json.RawMessage(`{}`)
	}
	return c.EmitUntyped("auth", auth)
}

// echo sends "message" back as "message-back", with the same arguments.
func echo(ctx context.Context, c *middleware.Conn, ev middleware.UntypedEvent) error {
	return c.EmitUntyped("message-back", sameArgs(ev)...)
}

// ackBack answers "message-with-ack" with an ack of the same arguments.
func ackBack(ctx context.Context, c *middleware.Conn, ev middleware.UntypedEvent) error {
	if ev.Ack == nil {
		return nil
	}
	return ev.Ack(sameArgs(ev)...)
}

// sameArgs are an event's arguments as they came: raw JSON, and the bytes
// of an argument the client sent as binary. (A binary value nested inside
// an argument would come back as its placeholder without its bytes: the
// suites send binary values as arguments.)
func sameArgs(ev middleware.UntypedEvent) []any {
	out := make([]any, len(ev.Args))
	for i, a := range ev.Args {
		var ph struct {
			Placeholder bool `json:"_placeholder"`
			Num         *int `json:"num"`
		}
		if json.Unmarshal(a, &ph) == nil && ph.Placeholder && ph.Num != nil && *ph.Num >= 0 && *ph.Num < len(ev.Attachments) {
			out[i] = ev.Attachments[*ph.Num]
			continue
		}
		out[i] = json.RawMessage(a)
	}
	return out
}
