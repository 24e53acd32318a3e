package middleware

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// statusRecorder is the kind of middleware wrapper that hides the
// connection: it records the status and has no Unwrap.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// unwrapping is the same wrapper with Unwrap, as http.ResponseController
// follows it.
type unwrapping struct{ statusRecorder }

func (w *unwrapping) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// failingHijacker claims it can hijack and cannot, as echo's Response does
// in front of its Timeout middleware's http.TimeoutHandler writer.
type failingHijacker struct{ statusRecorder }

func (w *failingHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(&w.statusRecorder).Hijack()
}

// upgradeServer serves a Server behind wrap, logging at warn level into
// the buffer it returns.
func upgradeServer(t *testing.T, cfg Config, wrap func(http.Handler) http.Handler) (string, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	srv, err := New(testSchema(), WithConfig(cfg), WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(wrap(srv))
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	return "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket", logs
}

// TestUpgradeBehindAWrapper: a ResponseWriter that cannot be hijacked gets
// Engine.IO's JSON error and a warning that says how to fix it; with
// Unwrap the upgrade works.
func TestUpgradeBehindAWrapper(t *testing.T) {
	tests := []struct {
		name string
		wrap func(http.Handler) http.Handler
		ok   bool
	}{
		{"a status recorder without Unwrap", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(&statusRecorder{ResponseWriter: w}, r) })
		}, false},
		{"http.TimeoutHandler", func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "timeout") }, false},
		{"a wrapper whose Hijack fails", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(&failingHijacker{statusRecorder{ResponseWriter: w}}, r)
			})
		}, false},
		{"a status recorder with Unwrap", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(&unwrapping{statusRecorder{ResponseWriter: w}}, r)
			})
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, logs := upgradeServer(t, testConfig(), tc.wrap)
			ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
			if tc.ok {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				ws.Close()
				return
			}
			if err == nil {
				ws.Close()
				t.Fatal("the upgrade succeeded")
			}
			body, _ := io.ReadAll(resp.Body)
			var refusal struct {
				Code    int
				Message string
			}
			if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &refusal) != nil || refusal.Code != 3 {
				t.Errorf("%d %s %q, want 500 and Engine.IO's JSON error", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "cannot be hijacked") || !strings.Contains(l, "Unwrap") {
				t.Errorf("log %q: want a warning that names the fix", l)
			}
		})
	}
}

// TestRefusalWarningsAreRateLimited: refusals an operator must see are
// logged at warn level, and a flood of them does not flood the log.
func TestRefusalWarningsAreRateLimited(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedOrigins = []string{"https://app.example"}
	url, logs := upgradeServer(t, cfg, func(h http.Handler) http.Handler { return h })
	for range 50 {
		ws, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {"https://evil.example"}})
		if err == nil {
			ws.Close()
			t.Fatal("a foreign origin was let in")
		}
		if resp.StatusCode != 403 {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	}
	lines := strings.Count(logs.String(), "origin not allowed")
	if lines == 0 || lines > warnBurstForTest {
		t.Errorf("%d warning lines for 50 refused origins, want 1 to %d", lines, warnBurstForTest)
	}
	if !strings.Contains(logs.String(), "origin=https://evil.example") || !strings.Contains(logs.String(), "allowed_origins") {
		t.Errorf("log %q: want the origin and the fix", logs.String())
	}
}

// warnBurstForTest is engineio's burst of warning lines per kind (and one
// more, should the test straddle a second).
const warnBurstForTest = 6
