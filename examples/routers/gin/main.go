// Command gin is an app on gin with eventwire mounted on it. The app has a
// /*path catch-all (its single-page routes), and gin allows no other GET
// route next to one, /socket.io/*any included: registering it panics. So
// eventwire is mounted as gin middleware instead, after gin's logger and
// recovery; newRouter is the recipe docs/INTEGRATION.md shows for gin.
//
//	go run ./gin            # in examples/routers: http://127.0.0.1:5072
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./gin
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/examples/routers/hello"
	"github.com/eventwire/eventwire/examples/routers/helloevents"
	"github.com/eventwire/eventwire/middleware"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("gin", "127.0.0.1:5072", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := newServer(settings.Config, logger, settings.Cluster)
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	router, err := newRouter(srv, os.Stderr)
	if err != nil {
		return err
	}
	return serve.Run("gin", settings, router, srv, logger)
}

// newServer is the eventwire server. Its hello handler reads the request ID
// and client IP requestContext put in the upgrade request's context, which
// a socket's context keeps.
func newServer(cfg middleware.Config, logger *slog.Logger, opts ...middleware.Option) (*helloevents.Server, error) {
	greeter := hello.Greeter{RequestInfo: func(ctx context.Context) (string, string) {
		info, _ := ctx.Value(requestInfoKey{}).(requestInfo)
		return info.id, info.clientIP
	}}
	opts = append([]middleware.Option{middleware.WithConfig(cfg), middleware.WithLogger(logger)}, opts...)
	return helloevents.NewServer(greeter, opts...)
}

// newRouter is the app: gin's middleware, eventwire, the app's routes; the
// request log goes to logs.
func newRouter(srv http.Handler, logs io.Writer) (*gin.Engine, error) {
	r := gin.New()
	// ClientIP believes X-Forwarded-For from these peers only.
	if err := r.SetTrustedProxies([]string{"127.0.0.1", "::1"}); err != nil { // your proxies' addresses
		return nil, err
	}
	// For every request, eventwire's included.
	r.Use(requestContext, gin.LoggerWithWriter(logs), gin.Recovery())
	// eventwire, as middleware: gin runs it for every path, and the
	// catch-all below leaves no room for a /socket.io/*any route.
	r.Use(eventwire(srv))

	r.POST("/api/echo", func(c *gin.Context) {
		body, _ := io.ReadAll(io.LimitReader(c.Request.Body, 1<<10))
		c.Data(http.StatusOK, "text/plain; charset=utf-8", body)
	})
	r.GET("/*path", func(c *gin.Context) { hello.Page(c.Writer, c.Request) }) // the page for every path
	return r, nil
}

// eventwire serves srv's requests, those under /socket.io/, and hands
// every other request on.
func eventwire(srv http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !strings.HasPrefix(c.Request.URL.Path, "/socket.io/") {
			c.Next()
			return
		}
		srv.ServeHTTP(c.Writer, c.Request)
		c.Abort() // the handlers after it, the catch-all's included, do not run
	}
}

// requestInfoKey is the request context key of a requestInfo.
type requestInfoKey struct{}

// requestInfo is what requestContext found out about a request.
type requestInfo struct{ id, clientIP string }

// requestContext gives the request an ID (its X-Request-Id, or a new one,
// echoed in the response) and puts it, with gin's ClientIP, in the
// request's context: values on *gin.Context never reach eventwire's
// handlers, a request's context does.
func requestContext(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if id == "" {
		id = rand.Text()
	}
	c.Header("X-Request-Id", id)
	info := requestInfo{id: id, clientIP: c.ClientIP()}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestInfoKey{}, info))
	c.Next()
}
