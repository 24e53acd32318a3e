// Command eventwire is the benchmark's eventwire peer: the server an app would
// write, built only on the API generated from internal/bench/events.yaml, so
// the benchmark measures what users get (typed decode, validation, typed
// emitters), not a hand-tuned path. A msg goes to everyone, to all but the
// sender, or to a room but the sender, as its to field says.
//
// The benchmark command starts it; environment:
//
//	BENCH_PORT       listen on 127.0.0.1:$BENCH_PORT (required)
//	BENCH_ADAPTER    "" (one node, in memory), "redis" or "nats"
//	BENCH_RECOVERY   "1": connection state recovery on (the log takes every emit)
//	BENCH_METRICS    "1": Prometheus metrics on (middleware/metrics), served at /metrics
//	BENCH_REDIS_URL  default redis://127.0.0.1:6379
//	BENCH_NATS_URL   default nats://127.0.0.1:4222
//	BENCH_PREFIX     the adapter's channel prefix, so concurrent runs do not collide
//	BENCH_PPROF      serve net/http/pprof on this address (e.g. 127.0.0.1:6060)
package main

//go:generate go tool gen -spec ../../events.yaml -out ./benchevents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventwire/eventwire/internal/bench/peers/eventwire/benchevents"
	"github.com/eventwire/eventwire/internal/bench/peers/peerenv"
	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/nats"
	"github.com/eventwire/eventwire/middleware/adapter/redis"
	"github.com/eventwire/eventwire/middleware/metrics"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eventwire peer:", err)
		os.Exit(1)
	}
}

func run() error {
	addr, err := peerenv.Setup()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := []middleware.Option{middleware.WithConfig(config()), middleware.WithLogger(logger)}
	cluster, err := adapterOption()
	if err != nil {
		return err
	}
	if cluster != nil {
		opts = append(opts, cluster)
	}
	h := &handlers{}
	srv, err := benchevents.NewServer(h, opts...)
	if err != nil {
		return err
	}
	h.srv = srv
	var handler http.Handler = srv
	if os.Getenv("BENCH_METRICS") == "1" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.New(srv.Runtime()))
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.Handle("/", srv)
		handler = mux
	}
	return serveUntilSignal(addr, handler, srv)
}

// serveUntilSignal serves srv on addr until SIGINT or SIGTERM, then cuts
// every connection: a run's end needs no graceful goodbye, and
// http.Server.Close does not touch the hijacked WebSocket connections.
func serveUntilSignal(addr string, handler http.Handler, srv *benchevents.Server) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	httpSrv := &http.Server{Addr: addr, Handler: handler}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.ListenAndServe() }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	_ = httpSrv.Close() // stop accepting; its error is the listener's, of no use now
	return srv.Close()
}

// config is the default configuration without the limits a benchmark would
// hit: no rate limit, and room for 12,000 clients and more. The load
// generator needs no JS client, so none is served.
func config() middleware.Config {
	cfg := middleware.DefaultConfig()
	cfg.RateLimit = 0
	cfg.MaxConnections = 20000
	cfg.ServeClient = false
	cfg.Recovery = os.Getenv("BENCH_RECOVERY") == "1"
	return cfg
}

// adapterOption builds the cluster adapter BENCH_ADAPTER names, as
// examples/internal/serve does from its own settings; nil for one node.
func adapterOption() (middleware.Option, error) {
	var (
		a   middleware.Adapter
		err error
	)
	switch kind := os.Getenv("BENCH_ADAPTER"); strings.ToLower(kind) {
	case "", "memory":
		return nil, nil
	case "redis":
		a, err = redis.New(envOr("BENCH_REDIS_URL", "redis://127.0.0.1:6379"))
	case "nats":
		a, err = nats.New(envOr("BENCH_NATS_URL", "nats://127.0.0.1:4222"))
	default:
		return nil, fmt.Errorf("BENCH_ADAPTER %q: want memory, redis or nats", kind)
	}
	if err != nil {
		return nil, err
	}
	return middleware.WithAdapter(a, middleware.AdapterOptions{Prefix: os.Getenv("BENCH_PREFIX")}), nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// handlers implements benchevents.Handler.
type handlers struct {
	srv *benchevents.Server // set once NewServer returns, before any client connects
}

// Join puts the client in the room and acks true.
func (*handlers) Join(ctx context.Context, c *benchevents.Conn, m benchevents.Join) (bool, error) {
	c.Join(m.Room)
	return true, nil
}

// Msg relays m unchanged to the recipients m.To names.
func (h *handlers) Msg(ctx context.Context, c *benchevents.Conn, m benchevents.Msg) error {
	var err error
	switch m.To {
	case "all":
		err = h.srv.Broadcast().EmitMsg(m)
	case "others":
		err = c.Broadcast().EmitMsg(m)
	case "room":
		if m.Room != nil {
			err = c.To(*m.Room).EmitMsg(m)
		}
	}
	if errors.Is(err, middleware.ErrClusterPublish) {
		return nil // the runtime counts and logs lost publishes itself, not once per message
	}
	return err
}
