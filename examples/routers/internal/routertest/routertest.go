// Package routertest holds the checks the router examples' tests share:
// the client module as a browser gets it, a socket's hello and its typed
// ack, a WebSocket upgrade's raw answer, and an app log a test can read.
// The helpers read the generated client from ../helloevents, so they are
// for tests run in one of the example folders.
package routertest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/examples/routers/helloevents"
	"github.com/eventwire/eventwire/middleware"
)

// Get sends GET base+path with header and returns the response with its
// body read and decoded as its Content-Encoding says: the bytes a browser
// would hand the page. A coding other than gzip fails the test.
func Get(t *testing.T, base, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// Set by hand, Accept-Encoding makes net/http leave the body as it came.
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	switch coding := res.Header.Get("Content-Encoding"); coding {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("GET %s: Content-Encoding gzip, but the body is not gzip: %v", path, err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("GET %s: Content-Encoding gzip, but the body does not decode: %v", path, err)
		}
	default:
		t.Fatalf("GET %s: Content-Encoding %q: the tests decode gzip only", path, coding)
	}
	return res, body
}

// ClientModule checks both files of the client module, /socket.io/
// helloevents.js and .min.js, with and without Accept-Encoding: gzip: 200,
// a JavaScript content type, and, decoded as the response claims, exactly
// the generated file, so a body compressed twice fails. header is added
// to every request.
func ClientModule(t *testing.T, base string, header http.Header) {
	t.Helper()
	for _, name := range []string{"helloevents.js", "helloevents.min.js"} {
		want, err := os.ReadFile(filepath.Join("..", "helloevents", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, encoding := range []string{"", "gzip"} {
			t.Run(name+"/"+cmp(encoding, "identity"), func(t *testing.T) {
				h := header.Clone()
				if h == nil {
					h = http.Header{}
				}
				if encoding != "" {
					h.Set("Accept-Encoding", encoding)
				}
				res, body := Get(t, base, "/socket.io/"+name, h)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200", res.StatusCode)
				}
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
					t.Errorf("Content-Type %q, want text/javascript", ct)
				}
				if !bytes.Equal(body, want) {
					t.Errorf("the body (Content-Encoding %q) is not %s: %d bytes starting %q",
						res.Header.Get("Content-Encoding"), name, len(body), body[:min(len(body), 16)])
				}
			})
		}
	}
}

func cmp(s, empty string) string {
	if s == "" {
		return empty
	}
	return s
}

// Hello connects a socket to h (served on a loopback server for the
// test) with header on its upgrade request, says hello and returns the
// typed ack.
func Hello(t *testing.T, h http.Handler, header http.Header) helloevents.HelloAck {
	t.Helper()
	c := eventwiretest.NewServer(t, h).Dial(t, eventwiretest.WithHeader(header))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := c.EmitWithAck(ctx, "hello", helloevents.Hello{Name: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	var ack struct {
		Data  *helloevents.HelloAck
		Error *middleware.Error
	}
	if len(reply) != 1 || json.Unmarshal(reply[0], &ack) != nil || ack.Data == nil {
		t.Fatalf("hello's ack: %s, want {\"data\":…}", reply)
	}
	return *ack.Data
}

// Value is *s, or "" for nil: an optional field of an ack.
func Value(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Upgrade sends a WebSocket handshake to base's /socket.io/ and returns
// the response, the 101 or a refusal (with its body), and closes the
// connection if it opened.
func Upgrade(t *testing.T, base string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	ws, res, err := websocket.DefaultDialer.Dial(url, header)
	if res == nil {
		t.Fatalf("upgrade: %v", err)
	}
	if ws != nil {
		_ = ws.Close()
	}
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// Logs collects an app's log for a test; it is safe for concurrent use.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns what was written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Logger returns a text logger writing to l.
func (l *Logs) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, nil))
}

// Line waits up to 5 seconds for a line that contains every one of parts
// and returns it; a request logger writes its line once the handler has
// returned, which for an upgrade may be after the client saw the 101.
func (l *Logs) Line(t *testing.T, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for line := range strings.Lines(l.String()) {
			if containsAll(line, parts) {
				return strings.TrimSpace(line)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q in:\n%s", parts, l.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
