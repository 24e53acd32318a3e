package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"

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

// newApp is the recipe's router on a loopback server, and its log.
func newApp(t *testing.T) (*eventwiretest.Server, *routertest.Logs) {
	t.Helper()
	logs := &routertest.Logs{}
	return eventwiretest.NewServer(t, newRouter(newTestServer(t, logs), logs.Logger())), logs
}

func TestRoutes(t *testing.T) {
	app, _ := newApp(t)
	tests := []struct {
		path, acceptEncoding string
		status               int
		contains             string
		contentEncoding      string
	}{
		{"/", "", http.StatusOK, "/socket.io/helloevents.min.js", ""},
		{"/", "gzip", http.StatusOK, "/socket.io/helloevents.min.js", "gzip"}, // the app's routes are compressed
		{"/healthz", "", http.StatusOK, "ok", ""},
		{"/nope", "", http.StatusNotFound, "404 page not found", ""},
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
		})
	}
}

// TestClientModule: served whole under Compress (not gzipped twice), and
// chi's request ID and logger ran for it.
func TestClientModule(t *testing.T) {
	app, logs := newApp(t)
	routertest.ClientModule(t, app.URL, http.Header{"X-Request-Id": {"module-1"}})
	logs.Line(t, "[module-1]", `"GET `, "/socket.io/helloevents.min.js", " - 200 ")
}

// TestSocket: the upgrade went through chi's middleware, so the socket's
// handler sees the request ID and the client's IP, and chi logged it.
func TestSocket(t *testing.T) {
	tests := []struct {
		name                        string
		header                      http.Header
		wantRequestID, wantClientIP string // "*": any but empty
	}{
		// The peer is a trusted proxy (loopback) that named no client.
		{"no X-Forwarded-For", nil, "*", ""},
		{"behind a proxy", http.Header{"X-Request-Id": {"sock-1"}, "X-Forwarded-For": {"203.0.113.7"}}, "sock-1", "203.0.113.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &routertest.Logs{}
			ack := routertest.Hello(t, newRouter(newTestServer(t, logs), logs.Logger()), tc.header)
			id, ip := routertest.Value(ack.RequestID), routertest.Value(ack.ClientIP)
			if ack.Greeting != "Hello, ann!" || ip != tc.wantClientIP ||
				(tc.wantRequestID == "*" && id == "") || (tc.wantRequestID != "*" && id != tc.wantRequestID) {
				t.Errorf("ack %q, request ID %q, client IP %q; want request ID %q, client IP %q",
					ack.Greeting, id, ip, tc.wantRequestID, tc.wantClientIP)
			}
			from := "from " + tc.wantClientIP
			if tc.wantClientIP == "" {
				from = "from 127.0.0.1:" // the peer, as chi logs it then
			}
			logs.Line(t, "["+id+"]", `"GET `, "/socket.io/?EIO=4&transport=websocket", from)
		})
	}
}

// TestMounts: the recipe, Mount, and two mounts that look right and are not.
func TestMounts(t *testing.T) {
	behindProxy := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	tests := []struct {
		name         string
		app          func(srv http.Handler, logs *routertest.Logs) http.Handler
		moduleStatus int
		wantClientIP string
		wantID       bool // a request ID for the socket's handler
	}{
		{"recipe", func(srv http.Handler, logs *routertest.Logs) http.Handler {
			return newRouter(srv, logs.Logger())
		}, http.StatusOK, "203.0.113.7", true},
		{`Handle("/socket.io/"): the socket, but no client module`, func(srv http.Handler, _ *routertest.Logs) http.Handler {
			r := chiApp()
			r.Handle("/socket.io/", srv)
			return r
		}, http.StatusNotFound, "203.0.113.7", true},
		{`Mount("/socket.io", srv)`, func(srv http.Handler, _ *routertest.Logs) http.Handler {
			r := chiApp()
			r.Mount("/socket.io", srv) // as good as the recipe's Handle("/socket.io/*")
			return r
		}, http.StatusOK, "203.0.113.7", true},
		{"srv.Middleware around the router: chi's middleware skipped", func(srv http.Handler, _ *routertest.Logs) http.Handler {
			return newServerMiddleware(srv)(chiApp())
		}, http.StatusOK, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &routertest.Logs{}
			app := tc.app(newTestServer(t, logs), logs)
			res, _ := routertest.Get(t, eventwiretest.NewServer(t, app).URL, "/socket.io/helloevents.min.js", nil)
			if res.StatusCode != tc.moduleStatus {
				t.Errorf("client module: status %d, want %d", res.StatusCode, tc.moduleStatus)
			}
			ack := routertest.Hello(t, app, behindProxy)
			if ip := routertest.Value(ack.ClientIP); ip != tc.wantClientIP {
				t.Errorf("the socket's client IP %q, want %q", ip, tc.wantClientIP)
			}
			if id := routertest.Value(ack.RequestID); (id != "") != tc.wantID {
				t.Errorf("the socket's request ID %q, want one: %v", id, tc.wantID)
			}
		})
	}
}

// chiApp is a chi app with middleware before any eventwire mount.
func chiApp() chi.Router {
	r := chi.NewRouter()
	r.Use(chimw.RequestID, chimw.ClientIPFromXFF("127.0.0.1/32", "::1/128"))
	r.Get("/", hello.Page)
	return r
}

// newServerMiddleware is srv.Middleware, for the generated server's type.
func newServerMiddleware(srv http.Handler) func(http.Handler) http.Handler {
	return srv.(*helloevents.Server).Middleware
}
