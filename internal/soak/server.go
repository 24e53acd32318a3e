package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/eventwire/eventwire/examples/chat/chatevents"
	"github.com/eventwire/eventwire/middleware"
)

// chat broadcasts every line to the other clients, as examples/chat does.
type chat struct{}

func (chat) BrowserToMessage(ctx context.Context, c *chatevents.Conn, m chatevents.BrowserToMessage) error {
	return c.Broadcast().EmitServerBackMessage(chatevents.ServerBackMessage(m))
}

// server is the chat on a loopback port.
type server struct {
	rt   *chatevents.Server
	http *http.Server
	url  string // the WebSocket URL clients dial
}

// startServer serves the chat on 127.0.0.1:0. The ping interval is short so
// that the sessions that wait for a ping (see session) keep the heartbeat
// timers churning too; warnings (drops, slow consumers) go to stderr.
func startServer() (*server, error) {
	cfg := middleware.DefaultConfig()
	cfg.PingInterval = 500 * time.Millisecond
	cfg.PingTimeout = 5 * time.Second
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt, err := chatevents.NewServer(chat{}, middleware.WithConfig(cfg), middleware.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	rt.OnConnect(func(ctx context.Context, c *chatevents.Conn) error { return c.EmitLink("welcome") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = rt.Close()
		return nil, err
	}
	s := &server{rt: rt, http: &http.Server{Handler: rt, ReadHeaderTimeout: 10 * time.Second},
		url: "ws://" + ln.Addr().String() + cfg.Path + "?EIO=4&transport=websocket"}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

func (s *server) stats() middleware.Stats { return s.rt.Runtime().Stats() }

// drain waits until the server has seen every client go: Connections 0.
func (s *server) drain(within time.Duration) error {
	deadline := time.Now().Add(within)
	for s.stats().Connections > 0 {
		if time.Now().After(deadline) {
			return errors.New("connections still open after " + within.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func (s *server) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.rt.Shutdown(ctx)
	_ = s.http.Shutdown(ctx)
}
