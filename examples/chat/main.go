// Command chat is the seed chat rebuilt on eventwire: every browser gets a
// welcome (link) when it connects, and a line one browser sends
// (browser_to_message) reaches every other browser (server_back_message).
//
//	go run ./examples/chat            # http://127.0.0.1:5050
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./examples/chat
package main

//go:generate go run github.com/eventwire/eventwire/gen -spec ../../events.yaml -out ./chatevents

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eventwire/eventwire/examples/chat/chatevents"
	"github.com/eventwire/eventwire/middleware"
)

//go:embed static chatevents/chatevents.js
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
	addr, cfg, err := settings(args)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	handler, srv, err := newApp(cfg, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	logger.Info("chat listening", "url", "http://"+ln.Addr().String()+"/")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("chat shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Close() // WebSocket connections are hijacked: http.Server.Shutdown does not wait for them.
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// settings reads the listen address and the runtime's Config: defaults, then
// the config file, then EVENTWIRE_* variables, then the -addr flag.
func settings(args []string) (addr string, cfg middleware.Config, err error) {
	fset := flag.NewFlagSet("chat", flag.ContinueOnError)
	addrFlag := fset.String("addr", "", "listen address (default 127.0.0.1:5050, or EVENTWIRE_ADDR)")
	configFile := fset.String("config", "", "config file (yaml, json or toml); EVENTWIRE_* variables override it")
	if err := fset.Parse(args); err != nil {
		return "", cfg, err
	}
	v, err := middleware.NewViper(*configFile)
	if err != nil {
		return "", cfg, err
	}
	v.SetDefault("addr", "127.0.0.1:5050")
	if cfg, err = middleware.LoadConfig(v); err != nil {
		return "", cfg, err
	}
	addr = v.GetString("addr")
	if *addrFlag != "" {
		addr = *addrFlag
	}
	return addr, cfg, nil
}

// newApp builds the chat: the eventwire server wrapped around the page's file server.
func newApp(cfg middleware.Config, logger *slog.Logger) (http.Handler, *chatevents.Server, error) {
	srv, err := chatevents.NewServer(chat{}, middleware.WithConfig(cfg), middleware.WithLogger(logger))
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
	mux.HandleFunc("GET /chatevents.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, assets, "chatevents/chatevents.js")
	})
	return srv.Middleware(mux), srv, nil
}

// chat handles the events browsers send.
type chat struct{}

// BrowserToMessage sends a browser's line to every other browser; the sender
// shows its own line itself, as in the seed.
func (chat) BrowserToMessage(ctx context.Context, c *chatevents.Conn, m chatevents.BrowserToMessage) error {
	return c.Broadcast().EmitServerBackMessage(chatevents.ServerBackMessage(m))
}
