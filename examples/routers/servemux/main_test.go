package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/examples/routers/hello"
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

// newApp is the recipe's handler and its log.
func newApp(t *testing.T) (http.Handler, *routertest.Logs) {
	t.Helper()
	logs := &routertest.Logs{}
	return newHandler(newTestServer(t, logs), logs.Logger()), logs
}

func TestRoutes(t *testing.T) {
	h, _ := newApp(t)
	app := eventwiretest.NewServer(t, h)
	tests := []struct {
		path     string
		status   int
		contains string
	}{
		{"/", http.StatusOK, "/socket.io/helloevents.min.js"},
		{"/healthz", http.StatusOK, "ok"},
		{"/nope", http.StatusNotFound, "404 page not found"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			res, body := routertest.Get(t, app.URL, tc.path, nil)
			if res.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Errorf("status %d, body %q; want %d with %q", res.StatusCode, body, tc.status, tc.contains)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

// TestClientModule: served whole, after the app's middleware.
func TestClientModule(t *testing.T) {
	h, logs := newApp(t)
	app := eventwiretest.NewServer(t, h)
	routertest.ClientModule(t, app.URL, nil)
	res, _ := routertest.Get(t, app.URL, "/socket.io/helloevents.min.js", http.Header{"X-Request-Id": {"module-1"}})
	if got := res.Header.Get("X-Request-Id"); got != "module-1" {
		t.Errorf("X-Request-Id %q, want module-1", got)
	}
	logs.Line(t, "msg=request", "uri=/socket.io/helloevents.min.js", "status=200", "request_id=module-1")
}

// TestSocket: the upgrade went through the app's middleware, so the
// socket's handler sees the request ID and the client's IP, the 101
// carries the request ID, and the app logged the upgrade.
func TestSocket(t *testing.T) {
	tests := []struct {
		name                        string
		header                      http.Header
		wantRequestID, wantClientIP string // "*": any but empty
	}{
		{"direct", nil, "*", "127.0.0.1"},
		{"behind a proxy", http.Header{"X-Request-Id": {"sock-1"}, "X-Forwarded-For": {"198.51.100.1, 203.0.113.7"}}, "sock-1", "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, logs := newApp(t)
			ack := routertest.Hello(t, h, tc.header)
			id, ip := routertest.Value(ack.RequestID), routertest.Value(ack.ClientIP)
			if ack.Greeting != "Hello, ann!" || ip != tc.wantClientIP ||
				(tc.wantRequestID == "*" && id == "") || (tc.wantRequestID != "*" && id != tc.wantRequestID) {
				t.Errorf("ack %q, request ID %q, client IP %q; want request ID %q, client IP %q",
					ack.Greeting, id, ip, tc.wantRequestID, tc.wantClientIP)
			}
			logs.Line(t, "msg=request", `uri="/socket.io/?EIO=4&transport=websocket"`, "request_id="+id, "client_ip="+ip)

			res, _ := routertest.Upgrade(t, eventwiretest.NewServer(t, h).URL, tc.header)
			if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("X-Request-Id") == "" {
				t.Errorf("upgrade: status %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
			}
		})
	}
}

// hiding is a status recorder without Unwrap: it hides the connection.
type hiding struct{ http.ResponseWriter }

func (w hiding) WriteHeader(code int) { w.ResponseWriter.WriteHeader(code) }

// TestMounts: the recipe against mounts that look right: eventwire around
// the app's middleware (which then never sees eventwire's requests), and
// eventwire behind a writer it cannot hijack, which eventwire logs.
func TestMounts(t *testing.T) {
	tests := []struct {
		name          string
		app           func(srv *helloevents.Server, logger *slog.Logger) http.Handler
		wantRequestID bool // on the client module's response
		wantUpgrade   int
	}{
		{"recipe", func(srv *helloevents.Server, logger *slog.Logger) http.Handler {
			return newHandler(srv, logger)
		}, true, http.StatusSwitchingProtocols},
		{"srv.Middleware around the app: its middleware skipped", func(srv *helloevents.Server, logger *slog.Logger) http.Handler {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /{$}", hello.Page)
			return srv.Middleware(requestContext(logRequests(logger, mux)))
		}, false, http.StatusSwitchingProtocols},
		{"http.TimeoutHandler around eventwire", func(srv *helloevents.Server, logger *slog.Logger) http.Handler {
			return requestContext(http.TimeoutHandler(srv, 10*time.Second, "timeout\n"))
		}, true, http.StatusInternalServerError},
		{"a wrapper without Unwrap around eventwire", func(srv *helloevents.Server, logger *slog.Logger) http.Handler {
			return requestContext(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				srv.ServeHTTP(hiding{w}, r)
			}))
		}, true, http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &routertest.Logs{}
			app := eventwiretest.NewServer(t, tc.app(newTestServer(t, logs), logs.Logger()))
			res, _ := routertest.Get(t, app.URL, "/socket.io/helloevents.min.js", nil)
			if res.StatusCode != http.StatusOK || (res.Header.Get("X-Request-Id") != "") != tc.wantRequestID {
				t.Errorf("client module: status %d, X-Request-Id %q; want 200 and one: %v",
					res.StatusCode, res.Header.Get("X-Request-Id"), tc.wantRequestID)
			}
			res, body := routertest.Upgrade(t, app.URL, nil)
			if res.StatusCode != tc.wantUpgrade {
				t.Fatalf("upgrade: status %d %s, want %d", res.StatusCode, body, tc.wantUpgrade)
			}
			if tc.wantUpgrade != http.StatusSwitchingProtocols {
				if !strings.Contains(string(body), `"WebSocket upgrade impossible on this server (see its log)"`) {
					t.Errorf("upgrade refused with %q, want Engine.IO's JSON error", body)
				}
				logs.Line(t, "level=WARN", "WebSocket upgrade impossible: the ResponseWriter cannot be hijacked", "fix=")
			}
		})
	}
}

// TestTLSAndHTTP2: on a TLS server that speaks HTTP/2, as net/http's does
// by default, the page comes over HTTP/2 and the socket over HTTP/1.1 on a
// connection of its own, as a browser opens it when the server does not
// offer WebSockets over HTTP/2 (RFC 8441; net/http offers them only with
// GODEBUG=http2xconnect=1, which eventwire would refuse).
func TestTLSAndHTTP2(t *testing.T) {
	h, _ := newApp(t)
	ts := httptest.NewUnstartedServer(h)
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)

	res, err := ts.Client().Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ProtoMajor != 2 {
		t.Errorf("the page: %d over %s, want 200 over HTTP/2", res.StatusCode, res.Proto)
	}

	tlsConfig := ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tlsConfig.NextProtos = []string{"http/1.1"} // what a browser asks for a WebSocket's connection
	dialer := websocket.Dialer{TLSClientConfig: tlsConfig}
	ws, res, err := dialer.Dial("wss"+strings.TrimPrefix(ts.URL, "https")+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatalf("the socket over TLS: %v", err)
	}
	defer ws.Close()
	if _, open, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0{") || res.ProtoMajor != 1 {
		t.Errorf("the socket over %s: first frame %q, %v; want Engine.IO's open packet over HTTP/1.1", res.Proto, open, err)
	}
}
