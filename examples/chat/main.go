// Command chat is the seed chat rebuilt on eventwire: every browser gets a
// welcome (link) when it connects, and a line one browser sends
// (browser_to_message) reaches every other browser (server_back_message).
//
//	go run ./examples/chat            # http://127.0.0.1:5050
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./examples/chat
package main

//go:generate go run github.com/eventwire/eventwire/gen -spec ../../events.yaml -out ./chatevents -asyncapi asyncapi.yaml -asyncapi-host 127.0.0.1:5050

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"

	"github.com/eventwire/eventwire/examples/chat/chatevents"
	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/middleware"
)

// The page; the client module it imports is served by the eventwire server
// at /socket.io/chatevents.min.js (and the readable chatevents.js).
//
//go:embed static
var assets embed.FS

// welcome is the link event's text, as in the seed.
const welcome = "Welcome to the eventwire chat!"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("chat", "127.0.0.1:5050", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	handler, srv, err := newApp(settings.Config, logger, settings.Cluster)
	if err != nil {
		return err
	}
	return serve.Run("chat", settings, handler, srv, logger)
}

// newApp builds the chat: the eventwire server wrapped around the page's
// file server; opts add to the runtime's options (a cluster adapter).
func newApp(cfg middleware.Config, logger *slog.Logger, opts ...middleware.Option) (http.Handler, *chatevents.Server, error) {
	opts = append([]middleware.Option{middleware.WithConfig(cfg), middleware.WithLogger(logger)}, opts...)
	srv, err := chatevents.NewServer(chat{}, opts...)
	if err != nil {
		return nil, nil, err
	}
	srv.OnConnect(func(ctx context.Context, c *chatevents.Conn) error {
		return c.EmitLink(welcome)
	})
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	return srv.Middleware(mux), srv, nil
}

// chat handles the events browsers send.
type chat struct{}

// BrowserToMessage sends a browser's line to every other browser; the sender
// shows its own line itself, as in the seed.
func (chat) BrowserToMessage(ctx context.Context, c *chatevents.Conn, m chatevents.BrowserToMessage) error {
	return c.Broadcast().EmitServerBackMessage(chatevents.ServerBackMessage(m))
}
