package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/examples/routers/helloevents"
	"github.com/eventwire/eventwire/examples/routers/internal/routertest"
	"github.com/eventwire/eventwire/middleware"
)

// newTestServer is a fresh eventwire server, closed when the test ends.
func newTestServer(t *testing.T, logs *routertest.Logs) *helloevents.Server {
	t.Helper()
	srv, err := newServer(middleware.DefaultConfig(), logs.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// newApp is the recipe's router and its log.
func newApp(t *testing.T) (*echo.Echo, *routertest.Logs) {
	t.Helper()
	logs := &routertest.Logs{}
	return newRouter(newTestServer(t, logs), logs.Logger()), logs
}

func TestRoutes(t *testing.T) {
	e, _ := newApp(t)
	app := eventwiretest.NewServer(t, e)
	tests := []struct {
		path, acceptEncoding string
		status               int
		contains             string
		contentEncoding      string
	}{
		{"/", "", http.StatusOK, "/socket.io/helloevents.min.js", ""},
		{"/", "gzip", http.StatusOK, "/socket.io/helloevents.min.js", "gzip"},  // the app's routes are compressed
		{"/rooms/ops", "", http.StatusOK, "/socket.io/helloevents.min.js", ""}, // the catch-all
		{"/healthz", "", http.StatusOK, "ok", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path+"/"+tc.acceptEncoding, func(t *testing.T) {
			res, body := routertest.Get(t, app.URL, tc.path, http.Header{"Accept-Encoding": {tc.acceptEncoding}})
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Errorf("status %d, body %q; want %d with %q", res.StatusCode, body, tc.status, tc.contains)
			}
			if got := res.Header.Get("Content-Encoding"); got != tc.contentEncoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.contentEncoding)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

// TestClientModule: served whole (gzipped once, by eventwire), after
// echo's request ID and logger.
func TestClientModule(t *testing.T) {
	e, logs := newApp(t)
	app := eventwiretest.NewServer(t, e)
	routertest.ClientModule(t, app.URL, nil)
	res, _ := routertest.Get(t, app.URL, "/socket.io/helloevents.min.js", http.Header{"X-Request-Id": {"module-1"}})
	if got := res.Header.Get("X-Request-Id"); got != "module-1" {
		t.Errorf("X-Request-Id %q, want module-1", got)
	}
	logs.Line(t, "msg=request", "uri=/socket.io/helloevents.min.js", "status=200", "request_id=module-1")
}

// TestSocket: the upgrade went through echo's middleware, so the socket's
// handler sees the request ID and the client's IP, the 101 carries the
// request ID, and echo logged the upgrade.
func TestSocket(t *testing.T) {
	tests := []struct {
		name                        string
		header                      http.Header
		wantRequestID, wantClientIP string // "*": any but empty
	}{
		{"direct", nil, "*", "127.0.0.1"},
		{"behind a proxy", http.Header{"X-Request-Id": {"sock-1"}, "X-Forwarded-For": {"203.0.113.7"}}, "sock-1", "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, logs := newApp(t)
			ack := routertest.Hello(t, e, tc.header)
			id, ip := routertest.Value(ack.RequestID), routertest.Value(ack.ClientIP)
			if ack.Greeting != "Hello, ann!" || ip != tc.wantClientIP ||
				(tc.wantRequestID == "*" && id == "") || (tc.wantRequestID != "*" && id != tc.wantRequestID) {
				t.Errorf("ack %q, request ID %q, client IP %q; want request ID %q, client IP %q",
					ack.Greeting, id, ip, tc.wantRequestID, tc.wantClientIP)
			}
			logs.Line(t, "msg=request", `uri="/socket.io/?EIO=4&transport=websocket"`, "request_id="+id, "client_ip="+ip)

			res, _ := routertest.Upgrade(t, eventwiretest.NewServer(t, e).URL, tc.header)
			if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("X-Request-Id") == "" {
				t.Errorf("upgrade: status %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
			}
		})
	}
}

// TestGzip: echo's Gzip on eventwire's paths gzips the gzipped client
// module again; decoded once, as a browser does, it is still gzip.
func TestGzip(t *testing.T) {
	e := echo.New()
	e.Use(echomw.Gzip())
	e.Any("/socket.io/*", echo.WrapHandler(newTestServer(t, &routertest.Logs{})))
	res, body := routertest.Get(t, eventwiretest.NewServer(t, e).URL, "/socket.io/helloevents.min.js",
		http.Header{"Accept-Encoding": {"gzip"}})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
		t.Errorf("Gzip on eventwire's paths: status %d, Content-Encoding %q, body decoded once starts %q; want gzip again (echo changed?)",
			res.StatusCode, res.Header.Get("Content-Encoding"), body[:min(len(body), 8)])
	}
	// The recipe: see TestClientModule.
}

// TestTimeouts: echo's deprecated Timeout middleware leaves eventwire a
// ResponseWriter it cannot hijack: the upgrade gets a 500, and the server
// logs why and the fix. ContextTimeout, as in the recipe, only sets a
// deadline the socket's context drops: the socket outlives it.
func TestTimeouts(t *testing.T) {
	t.Run("Timeout", func(t *testing.T) {
		logs := &routertest.Logs{}
		e := echo.New()
		e.Use(echomw.TimeoutWithConfig(echomw.TimeoutConfig{Timeout: time.Second}))
		e.Any("/socket.io/*", echo.WrapHandler(newTestServer(t, logs)))
		res, body := routertest.Upgrade(t, eventwiretest.NewServer(t, e).URL, nil)
		if res.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "WebSocket upgrade impossible") {
			t.Errorf("upgrade: %d %s, want 500 and Engine.IO's error", res.StatusCode, body)
		}
		logs.Line(t, "level=WARN", "WebSocket upgrade impossible: the ResponseWriter cannot be hijacked", "fix=")
	})
	t.Run("ContextTimeout", func(t *testing.T) {
		e := echo.New()
		e.Use(echomw.ContextTimeout(50 * time.Millisecond))
		e.Any("/socket.io/*", echo.WrapHandler(newTestServer(t, &routertest.Logs{})))
		c := eventwiretest.NewServer(t, e).Dial(t)
		time.Sleep(100 * time.Millisecond)
		if _, err := c.EmitWithAck(t.Context(), "hello", helloevents.Hello{Name: "ann"}); err != nil {
			t.Errorf("a socket past the request's deadline: %v", err)
		}
	})
}
