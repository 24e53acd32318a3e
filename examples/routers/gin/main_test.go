package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/examples/routers/hello"
	"github.com/eventwire/eventwire/examples/routers/internal/routertest"
	"github.com/eventwire/eventwire/middleware"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // no debug lines about each route
	os.Exit(m.Run())
}

// newApp is the recipe's router and its log; the eventwire server is
// closed when the test ends.
func newApp(t *testing.T) (*gin.Engine, *routertest.Logs) {
	t.Helper()
	logs := &routertest.Logs{}
	srv, err := newServer(middleware.DefaultConfig(), logs.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	r, err := newRouter(srv, logs)
	if err != nil {
		t.Fatal(err)
	}
	return r, logs
}

func TestRoutes(t *testing.T) {
	r, _ := newApp(t)
	app := eventwiretest.NewServer(t, r)
	tests := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{http.MethodGet, "/", "", http.StatusOK, "/socket.io/helloevents.min.js"},
		{http.MethodGet, "/rooms/ops", "", http.StatusOK, "/socket.io/helloevents.min.js"}, // the catch-all
		{http.MethodGet, "/socket.iox", "", http.StatusOK, "/socket.io/helloevents.min.js"},
		{http.MethodPost, "/api/echo", "ping", http.StatusOK, "ping"},
		{http.MethodPost, "/nope", "", http.StatusNotFound, "404 page not found"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			res, err := http.Post(app.URL+tc.path, "text/plain", strings.NewReader(tc.body))
			if tc.method == http.MethodGet {
				res, err = http.Get(app.URL + tc.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, res)
			if res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("status %d, body %q; want %d with %q", res.StatusCode, body, tc.status, tc.contains)
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

// TestClientModule: served whole, after gin's middleware.
func TestClientModule(t *testing.T) {
	r, logs := newApp(t)
	app := eventwiretest.NewServer(t, r)
	routertest.ClientModule(t, app.URL, nil)
	res, _ := routertest.Get(t, app.URL, "/socket.io/helloevents.min.js", http.Header{"X-Request-Id": {"module-1"}})
	if got := res.Header.Get("X-Request-Id"); got != "module-1" {
		t.Errorf("X-Request-Id %q, want module-1", got)
	}
	logs.Line(t, "[GIN]", "| 200 |", `GET      "/socket.io/helloevents.min.js"`)
}

// TestSocket: the upgrade went through gin's middleware, so the socket's
// handler sees the request ID and the client's IP, the 101 carries the
// request ID, and gin logged the upgrade.
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
			r, logs := newApp(t)
			ack := routertest.Hello(t, r, tc.header)
			id, ip := routertest.Value(ack.RequestID), routertest.Value(ack.ClientIP)
			if ack.Greeting != "Hello, ann!" || ip != tc.wantClientIP ||
				(tc.wantRequestID == "*" && id == "") || (tc.wantRequestID != "*" && id != tc.wantRequestID) {
				t.Errorf("ack %q, request ID %q, client IP %q; want request ID %q, client IP %q",
					ack.Greeting, id, ip, tc.wantRequestID, tc.wantClientIP)
			}
			logs.Line(t, "[GIN]", tc.wantClientIP, `GET      "/socket.io/?EIO=4&transport=websocket"`)

			res, _ := routertest.Upgrade(t, eventwiretest.NewServer(t, r).URL, tc.header)
			if res.StatusCode != http.StatusSwitchingProtocols || res.Header.Get("X-Request-Id") == "" {
				t.Errorf("upgrade: status %d, X-Request-Id %q", res.StatusCode, res.Header.Get("X-Request-Id"))
			}
		})
	}
}

// TestMounts: a /socket.io/*any route next to the app's catch-all panics;
// the recipe builds and serves both.
func TestMounts(t *testing.T) {
	srv, err := newServer(middleware.DefaultConfig(), (&routertest.Logs{}).Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	route := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%v", p)
			}
		}()
		r := gin.New()
		r.GET("/*path", func(c *gin.Context) { hello.Page(c.Writer, c.Request) })
		r.Any("/socket.io/*any", gin.WrapH(srv))
		return nil
	}
	if err := route(); err == nil || !strings.Contains(err.Error(), "conflicts with existing wildcard '/*path'") {
		t.Errorf("a /socket.io/*any route next to /*path: %v, want gin's panic", err)
	}
	if _, err := newRouter(srv, &routertest.Logs{}); err != nil {
		t.Errorf("the recipe: %v", err)
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
