// Command echo is an app on echo with eventwire mounted on it. echo's
// middleware (request ID, client IP, logging, recovery, a context
// deadline) runs for eventwire's requests as for the app's own, but for
// Gzip, which would gzip the already gzipped client module again (the
// page's import then fails, with no error anywhere on the server).
// newRouter is the recipe docs/INTEGRATION.md shows for echo.
//
//	go run ./echo            # in examples/routers: http://127.0.0.1:5073
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./echo
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/examples/routers/hello"
	"github.com/eventwire/eventwire/examples/routers/helloevents"
	"github.com/eventwire/eventwire/middleware"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("echo", "127.0.0.1:5073", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := newServer(settings.Config, logger, settings.Cluster)
	if err != nil {
		return err
	}
	return serve.Run("echo", settings, newRouter(srv, logger), srv, logger)
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

// newRouter is the app: echo's middleware, eventwire, the app's routes.
func newRouter(srv http.Handler, logger *slog.Logger) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// RealIP believes X-Forwarded-For from loopback, link-local and
	// private addresses only: your proxies'.
	e.IPExtractor = echo.ExtractIPFromXFFHeader()

	// For every request, eventwire's included.
	e.Use(echomw.RequestID(), requestContext)
	e.Use(echomw.RequestLoggerWithConfig(echomw.RequestLoggerConfig{
		LogMethod: true, LogURI: true, LogStatus: true, LogRequestID: true, LogRemoteIP: true,
		LogValuesFunc: func(c echo.Context, v echomw.RequestLoggerValues) error {
			logger.Info("request", "method", v.Method, "uri", v.URI, "status", v.Status,
				"request_id", v.RequestID, "client_ip", v.RemoteIP)
			return nil
		},
	}))
	e.Use(echomw.Recover())
	// A deadline on the request's context: the socket's context drops it.
	// (echomw.Timeout, deprecated, would swap in a ResponseWriter that
	// cannot be hijacked, and no socket could open.)
	e.Use(echomw.ContextTimeout(30 * time.Second))
	// Gzip compresses whatever passes, already gzipped or not: keep it off
	// eventwire's paths, where the client module is served gzipped.
	e.Use(echomw.GzipWithConfig(echomw.GzipConfig{Skipper: func(c echo.Context) bool {
		return strings.HasPrefix(c.Request().URL.Path, "/socket.io/")
	}}))

	e.Any("/socket.io/*", echo.WrapHandler(srv))
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/*", func(c echo.Context) error { // the page for every other path
		hello.Page(c.Response(), c.Request())
		return nil
	})
	return e
}

// requestInfoKey is the request context key of a requestInfo.
type requestInfoKey struct{}

// requestInfo is what requestContext found out about a request.
type requestInfo struct{ id, clientIP string }

// requestContext puts the request ID (echomw.RequestID's, in the
// response's X-Request-Id) and echo's RealIP in the request's context:
// values on echo.Context never reach eventwire's handlers, a request's
// context does.
func requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		info := requestInfo{id: c.Response().Header().Get(echo.HeaderXRequestID), clientIP: c.RealIP()}
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), requestInfoKey{}, info)))
		return next(c)
	}
}
