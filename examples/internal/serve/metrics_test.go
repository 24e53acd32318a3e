package serve

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/eventwire/eventwire/middleware"
)

// TestMetrics reads EVENTWIRE_METRICS_ADDR and serves the eventwire, Go
// and process metrics there at /metrics.
func TestMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // a free port for the metrics server
	t.Setenv("EVENTWIRE_METRICS_ADDR", addr)
	s, err := Load("chat", "127.0.0.1:5050", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.MetricsAddr != addr {
		t.Fatalf("MetricsAddr %q, want %q", s.MetricsAddr, addr)
	}
	srv, err := middleware.New(middleware.Schema{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	stop, err := serveMetrics(s.MetricsAddr, srv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{`eventwire_sockets{namespace="/"} 0`, "eventwire_connections_opened_total 0",
		"go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
}
