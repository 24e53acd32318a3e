package middleware

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/internal/engineio"
)

// blockingHarness serves the test schema with a nudge handler that signals
// started, then waits for release (or, with honorCtx, its context) before
// it returns and sets finished.
func blockingHarness(t *testing.T, honorCtx bool) (h *harness, started chan struct{}, release chan struct{}, finished *atomic.Bool) {
	t.Helper()
	h = newBareHarness(t, testConfig())
	started, release, finished = make(chan struct{}), make(chan struct{}), new(atomic.Bool)
	err := HandleEmpty(h.srv, "nudge", func(ctx context.Context, c *Conn) error {
		close(started)
		if honorCtx {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // cleanup work Shutdown must wait for
		} else {
			<-release
		}
		finished.Store(true)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, started, release, finished
}

func TestShutdownWaitsForHandlers(t *testing.T) {
	h, started, _, finished := blockingHarness(t, true)
	c, _ := h.connect()
	c.send(`42["nudge"]`)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if !finished.Load() {
		t.Error("Shutdown returned before the handler in flight finished")
	}
	c.expectClose(websocket.CloseGoingAway)
	if d := h.waitGone(t); d.reason != engineio.ReasonShutdown {
		t.Errorf("reason %q", d.reason)
	}
	if ws, _, err := websocket.DefaultDialer.Dial(h.wsURL("EIO=4&transport=websocket"), nil); err == nil {
		_ = ws.Close()
		t.Error("a new connection was accepted after Shutdown")
	}
}

func TestShutdownDeadlineCutsConnections(t *testing.T) {
	h, started, release, finished := blockingHarness(t, false)
	c, _ := h.connect()
	c.send(`42["nudge"]`)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	expectCut(t, c, "the connection was not cut when the deadline passed")
	close(release) // the handler ignored its context; once it returns, Close ends everything
	if err := h.srv.Close(); err != nil || !finished.Load() {
		t.Fatalf("Close = %v, handler finished %v", err, finished.Load())
	}
}

func TestCloseIsHard(t *testing.T) {
	h := newHarness(t, testConfig())
	c, _ := h.connect()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	expectCut(t, c, "Close left the connection open")
	if d := h.waitGone(t); d.reason != engineio.ReasonShutdown {
		t.Errorf("reason %q", d.reason)
	}
	if err := h.srv.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Close = %v", err)
	}
}

// expectCut reads until the connection ends, and fails with why if it is
// still open after 5 seconds.
func expectCut(t *testing.T, c *client, why string) {
	t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ws.ReadMessage()
		if err == nil {
			continue
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal(why)
		}
		return
	}
}
