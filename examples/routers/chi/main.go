// Command chi is an app on a chi router with eventwire mounted on it.
// chi's middleware (request ID, client IP, logging, panic recovery,
// compression) runs for eventwire's requests as for the app's own;
// newRouter is the recipe docs/INTEGRATION.md shows for chi.
//
//	go run ./chi            # in examples/routers: http://127.0.0.1:5071
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./chi
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	chimw "github.com/go-chi/chi/v5/middleware"

	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/examples/routers/hello"
	"github.com/eventwire/eventwire/examples/routers/helloevents"
	"github.com/eventwire/eventwire/middleware"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("chi", "127.0.0.1:5071", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := newServer(settings.Config, logger, settings.Cluster)
	if err != nil {
		return err
	}
	return serve.Run("chi", settings, newRouter(srv, logger), srv, logger)
}

// newServer is the eventwire server. Its hello handler reads the request ID
// and client IP chi's middleware put in the upgrade request's context,
// which a socket's context keeps.
func newServer(cfg middleware.Config, logger *slog.Logger, opts ...middleware.Option) (*helloevents.Server, error) {
	greeter := hello.Greeter{RequestInfo: func(ctx context.Context) (string, string) {
		return chimw.GetReqID(ctx), chimw.GetClientIP(ctx)
	}}
	opts = append([]middleware.Option{middleware.WithConfig(cfg), middleware.WithLogger(logger)}, opts...)
	return helloevents.NewServer(greeter, opts...)
}

// newRouter is the app: chi's middleware, eventwire, the app's routes.
func newRouter(srv http.Handler, logger *slog.Logger) http.Handler {
	r := chi.NewRouter()
	// For every request, eventwire's included: the upgrade and the client
	// module get a request ID, the client's IP and a log line.
	r.Use(chimw.RequestID)
	r.Use(chimw.ClientIPFromXFF("127.0.0.1/32", "::1/128")) // your proxies' addresses
	r.Use(chimw.RequestLogger(&chimw.DefaultLogFormatter{
		Logger: slog.NewLogLogger(logger.Handler(), slog.LevelInfo), NoColor: true,
	}))
	r.Use(chimw.Recoverer)
	// chi's Compress leaves a response that has a Content-Encoding alone,
	// so the client module, gzipped by eventwire, is not gzipped again.
	r.Use(chimw.Compress(5))

	// "/socket.io/*", not "/socket.io/": chi matches that one exactly, so
	// the socket would work and /socket.io/helloevents.min.js be a 404.
	r.Handle("/socket.io/*", srv)

	r.Group(func(r chi.Router) {
		// A deadline for the app's handlers; the socket needs none (its
		// context would drop it anyway).
		r.Use(chimw.Timeout(30 * time.Second))
		r.Get("/", hello.Page)
		r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("ok\n"))
		})
	})
	return r
}
