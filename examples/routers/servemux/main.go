// Command servemux is an app on net/http's ServeMux with eventwire mounted
// on it, and the app's own middleware around the mux (request ID, client
// IP, logging, panic recovery), so it runs for eventwire's requests too;
// newHandler is the recipe docs/INTEGRATION.md shows for ServeMux.
//
//	go run ./servemux            # in examples/routers: http://127.0.0.1:5070
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./servemux
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/examples/routers/hello"
	"github.com/eventwire/eventwire/examples/routers/helloevents"
	"github.com/eventwire/eventwire/middleware"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "servemux:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("servemux", "127.0.0.1:5070", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := newServer(settings.Config, logger, settings.Cluster)
	if err != nil {
		return err
	}
	return serve.Run("servemux", settings, newHandler(srv, logger), srv, logger)
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

// newHandler is the app: the mux with eventwire and the app's routes, in
// the app's middleware.
func newHandler(srv http.Handler, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	// A pattern ending in "/" is a subtree: the socket and the client module.
	mux.Handle("/socket.io/", srv)

	// A time limit for the app's routes only: http.TimeoutHandler's writer
	// cannot be hijacked, so around eventwire no socket could open.
	limit := func(h http.HandlerFunc) http.Handler { return http.TimeoutHandler(h, 10*time.Second, "timeout\n") }
	mux.Handle("GET /{$}", limit(hello.Page))
	mux.Handle("GET /healthz", limit(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	}))

	// Around the mux: they see every request, eventwire's included.
	return requestContext(logRequests(logger, recoverPanics(logger, mux)))
}

// requestInfoKey is the request context key of a requestInfo.
type requestInfoKey struct{}

// requestInfo is what requestContext found out about a request.
type requestInfo struct{ id, clientIP string }

// requestContext gives the request an ID (its X-Request-Id, or a new one,
// echoed in the response) and puts it, with the client's IP, in the
// request's context, where eventwire's handlers find it too.
func requestContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" {
			id = rand.Text()
		}
		w.Header().Set("X-Request-Id", id)
		info := requestInfo{id: id, clientIP: clientIP(r)}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
	})
}

// clientIP is the peer's address, or, when the peer is a proxy on this
// machine (your proxies' addresses), the last address it added to
// X-Forwarded-For.
func clientIP(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if ip := net.ParseIP(peer); ip == nil || !ip.IsLoopback() {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return peer
	}
	last := xff[len(xff)-1]
	last = strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:])
	if net.ParseIP(last) == nil {
		return peer
	}
	return last
}

// logRequests logs each request once it has been answered.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		info, _ := r.Context().Value(requestInfoKey{}).(requestInfo)
		logger.Info("request", "method", r.Method, "uri", r.RequestURI, "status", rec.status,
			"duration", time.Since(start), "request_id", info.id, "client_ip", info.clientIP)
	})
}

// statusRecorder keeps the status for the log. Its Unwrap lets eventwire
// reach the connection underneath (http.ResponseController follows it);
// without it no WebSocket could open, and eventwire would log why.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanics answers a handler's panic with a 500 and logs it. (A panic
// in an eventwire handler never gets here: eventwire contains it.)
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.Error("panic", "uri", r.RequestURI, "panic", p)
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
