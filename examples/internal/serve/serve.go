// Package serve holds what the examples share that is not about eventwire:
// reading the listen address, configuration and cluster adapter at start,
// and serving until SIGINT or SIGTERM.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/viper"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/nats"
	"github.com/eventwire/eventwire/middleware/adapter/redis"
	"github.com/eventwire/eventwire/middleware/metrics"
)

// Settings are what an example reads at start.
type Settings struct {
	// Addr is the listen address.
	Addr string
	// Config is the runtime's configuration.
	Config middleware.Config
	// Cluster is the middleware.WithAdapter option for the broker the
	// settings name, or nil for a single node (see adapterOption).
	Cluster middleware.Option
	// MetricsAddr is where Run serves Prometheus metrics at /metrics
	// (metrics_addr, EVENTWIRE_METRICS_ADDR); "" serves none.
	MetricsAddr string
	// Viper holds every other key, for the example's own settings.
	Viper *viper.Viper
}

// Load reads the -addr and -config flags from args, then the defaults, the
// config file and EVENTWIRE_* variables (which win over the file); -addr
// wins over them all. The address defaults to defaultAddr.
func Load(name, defaultAddr string, args []string) (Settings, error) {
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	addrFlag := fset.String("addr", "", "listen address (default "+defaultAddr+", or EVENTWIRE_ADDR)")
	configFile := fset.String("config", "", "config file (yaml, json or toml); EVENTWIRE_* variables override it")
	if err := fset.Parse(args); err != nil {
		return Settings{}, err
	}
	v, err := middleware.NewViper(*configFile)
	if err != nil {
		return Settings{}, err
	}
	v.SetDefault("addr", defaultAddr)
	v.SetDefault("metrics_addr", "")
	v.SetDefault("adapter", "")
	v.SetDefault("adapter_prefix", middleware.DefaultAdapterPrefix)
	v.SetDefault("redis_url", "redis://127.0.0.1:6379")
	v.SetDefault("nats_url", "nats://127.0.0.1:4222")
	// The examples recover sessions (a chat must not lose lines across a
	// short drop), on one node as in a cluster.
	v.SetDefault("recovery", true)
	cfg, err := middleware.LoadConfig(v)
	if err != nil {
		return Settings{}, err
	}
	s := Settings{Addr: v.GetString("addr"), MetricsAddr: v.GetString("metrics_addr"), Config: cfg, Viper: v}
	if *addrFlag != "" {
		s.Addr = *addrFlag
	}
	if s.Cluster, err = adapterOption(v); err != nil { // last: it connects to the broker
		return Settings{}, err
	}
	return s, nil
}

// adapterOption builds the cluster adapter that key adapter names
// (EVENTWIRE_ADAPTER): "" or "memory" for none (one process, in memory),
// "redis" at redis_url (EVENTWIRE_REDIS_URL) or "nats" at nats_url
// (EVENTWIRE_NATS_URL), on channels starting with adapter_prefix
// (EVENTWIRE_ADAPTER_PREFIX). It connects at once, so a broker that does
// not answer stops the example at start.
func adapterOption(v *viper.Viper) (middleware.Option, error) {
	var (
		a   middleware.Adapter
		err error
	)
	switch kind := strings.ToLower(strings.TrimSpace(v.GetString("adapter"))); kind {
	case "", "memory":
		return nil, nil
	case "redis":
		a, err = redis.New(v.GetString("redis_url"))
	case "nats":
		a, err = nats.New(v.GetString("nats_url"))
	default:
		return nil, fmt.Errorf("adapter %q: want memory, redis or nats", kind)
	}
	if err != nil {
		return nil, err
	}
	return middleware.WithAdapter(a, middleware.AdapterOptions{Prefix: v.GetString("adapter_prefix")}), nil
}

// serveMetrics serves the Prometheus metrics of srv (the eventwire
// server, generated or not), with the Go runtime's and the process's, at
// http://addr/metrics; stop ends it.
func serveMetrics(addr string, srv Shutdowner, logger *slog.Logger) (stop func(), err error) {
	var rt *middleware.Server
	switch s := srv.(type) {
	case *middleware.Server:
		rt = s
	case interface{ Runtime() *middleware.Server }:
		rt = s.Runtime()
	default:
		return nil, fmt.Errorf("metrics: %T is not an eventwire server", srv)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.New(rt))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	httpSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = httpSrv.Serve(ln) }()
	logger.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { _ = httpSrv.Close() }, nil
}

// Shutdowner is the eventwire server Run stops.
type Shutdowner interface {
	Shutdown(ctx context.Context) error
}

// Run serves handler on addr until SIGINT or SIGTERM, then shuts srv down
// (the eventwire server: clients get 1001 and reconnect; http.Server's own
// Shutdown does not wait for hijacked WebSocket connections) and the HTTP
// server, within 5 seconds. It logs the URL it listens on, which the
// end-to-end tests read.
//
// The timeouts bound what a slow or half-open client may hold: request
// headers must arrive within 10s (WebSocket upgrades included), idle
// keep-alive connections end after 60s, and a response (a page, the JS
// client) must be written within 30s. Upgraded connections are the
// eventwire server's: its ping_timeout and write_timeout bound them.
func Run(name string, s Settings, handler http.Handler, srv Shutdowner, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	if s.MetricsAddr != "" {
		stopMetrics, err := serveMetrics(s.MetricsAddr, srv, logger)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopMetrics()
	}
	httpSrv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	logger.Info(name+" listening", "url", "http://"+ln.Addr().String()+"/")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpSrv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info(name + " shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn(name+" shutdown cut connections", "err", err)
	}
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
