package middleware

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
)

// TestSlowConsumer pauses one client (it never reads) while broadcasts flow
// to it and to a client that reads: under either policy the reader gets
// every frame, the paused one costs at most its outbound queue, and every
// frame it does not get is counted and reported. The queue's bound is one
// broadcast frame, so the paused client overflows it soon after its kernel
// buffers fill.
func TestSlowConsumer(t *testing.T) {
	big := strings.Repeat("x", 32<<10)
	frame := int64(len(`42["link",""]`) + len(big))
	for _, policy := range []string{SlowConsumerDisconnect, SlowConsumerDrop} {
		t.Run(policy, func(t *testing.T) {
			cfg := testConfig()
			cfg.OutboundBuffer = 16
			cfg.OutboundBufferBytes = frame
			// Long enough that the paused client is not cut for a stalled
			// write, nor for a frame waiting too long, during the test, even
			// on a loaded machine.
			cfg.WriteTimeout = 30 * time.Second
			cfg.SlowConsumer = policy
			h := newHarness(t, cfg)
			reader, _ := h.connect()
			_, paused := h.connect() // never reads again
			// Lockstep: the reader takes each broadcast before the next, so
			// only the paused client falls behind (kernel buffers, melody's
			// queue, then its outbound queue).
			// Twenty broadcasts more once the first frame was dropped.
			for i, after := 0, 0; after < 20; i++ {
				if h.srv.Stats().FramesDropped > 0 {
					after++
				}
				if i == 2000 {
					t.Fatalf("Stats %+v: 2,000 broadcasts and no frame counted as dropped", h.srv.Stats())
				}
				if err := h.srv.Broadcast().Emit("link", big); err != nil {
					t.Fatal(err)
				}
				if args := reader.readEvent("link"); len(args) != 1 || len(args[0]) != len(big)+2 {
					t.Fatalf("broadcast %d: the reader got %d args", i, len(args))
				}
			}
			switch policy {
			case SlowConsumerDisconnect:
				if d := h.waitGone(t); d.id != paused.ID() || d.reason != engineio.ReasonSlowConsumer {
					t.Errorf("OnDisconnect(%s, %q), want the paused client with %q", d.id, d.reason, engineio.ReasonSlowConsumer)
				}
				if st := h.srv.Stats(); st.SlowConsumerDisconnects != 1 {
					t.Errorf("SlowConsumerDisconnects = %d, want 1", st.SlowConsumerDisconnects)
				}
			case SlowConsumerDrop:
				if st := h.srv.Stats(); st.SlowConsumerDisconnects != 0 || st.Sockets != 2 {
					t.Errorf("Stats %+v: the paused client must stay under drop", st)
				}
				if err := paused.Emit("link", big); !errors.Is(err, ErrSlowConsumer) {
					t.Errorf("Emit to a full queue: %v, want ErrSlowConsumer", err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if _, err := EmitWithAck[int64](ctx, paused, "count"); !errors.Is(err, ErrSlowConsumer) {
					t.Errorf("EmitWithAck to a full queue: %v, want ErrSlowConsumer", err)
				}
			}
			if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "frame dropped") {
				t.Errorf("no warn log for the slow consumer:\n%.2000s", logs)
			}
		})
	}
}

// TestSlowConsumerEmitError: the emit that finds the queue full learns it:
// under "disconnect" Conn.Emit returns ErrSlowConsumer once, then ErrClosed.
func TestSlowConsumerEmitError(t *testing.T) {
	cfg := testConfig()
	cfg.OutboundBuffer = 16
	cfg.OutboundBufferBytes = 64 << 10
	h := newHarness(t, cfg)
	_, paused := h.connect() // never reads again
	big := strings.Repeat("x", 32<<10)
	var err error
	for i := 0; err == nil; i++ {
		if i == 2000 {
			t.Fatal("2,000 emits of 32 KiB to a client that does not read all queued")
		}
		err = paused.Emit("link", big)
	}
	if !errors.Is(err, ErrSlowConsumer) {
		t.Errorf("first error %v, want ErrSlowConsumer", err)
	}
	if err := paused.Emit("link", big); !errors.Is(err, ErrClosed) {
		t.Errorf("next emit: %v, want ErrClosed", err)
	}
	if d := h.waitGone(t); d.reason != engineio.ReasonSlowConsumer {
		t.Errorf("OnDisconnect reason %q, want %q", d.reason, engineio.ReasonSlowConsumer)
	}
}

// smallBuffers gives every connection the server accepts a small kernel
// send buffer, so a client that stops reading fills its TCP window after
// kilobytes, not megabytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// withSmallBuffers serves h's server again on a listener of smallBuffers.
func (h *harness) withSmallBuffers() {
	h.ts.Close()
	ts := httptest.NewUnstartedServer(h.srv)
	ts.Listener = smallBuffers{ts.Listener}
	ts.Start()
	h.ts = ts
}

// stall connects a client that never reads again, with a small receive
// buffer.
func (h *harness) stall() *Conn {
	h.t.Helper()
	c, conn := h.connect()
	if tc, ok := c.ws.NetConn().(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	return conn
}

// TestStalledReaderIsCut: a client that stops reading, its TCP window full,
// is cut within write_timeout of falling behind, while 20 readers get
// every line of a burst.
func TestStalledReaderIsCut(t *testing.T) {
	cfg := burstConfig()
	cfg.WriteTimeout = time.Second
	h := newHarness(t, cfg)
	h.withSmallBuffers()
	const lines = 3000
	readers := make([]*reader, burstReaders)
	for i := range readers {
		c, _ := h.connect()
		readers[i] = startReader(c.ws, lines)
	}
	stalled := h.stall()
	sender, _ := h.connect()
	start := time.Now()
	sendBurst(t, sender, lines)
	sent := time.Since(start) // how long the burst took depends on the machine's load
	waitReaders(t, readers)
	d := h.waitGone(t)
	elapsed := time.Since(start)
	if d.id != stalled.ID() || (d.reason != engineio.ReasonSlowConsumer && d.reason != engineio.ReasonTransportError) {
		t.Errorf("OnDisconnect(%s, %q), want the stalled client, cut", d.id, d.reason)
	}
	// It falls behind within the burst, so it is cut at the latest
	// write_timeout after the burst was sent; the margin is for a loaded CI
	// machine, the race detector and the timer's slack.
	if limit := sent + cfg.WriteTimeout + 3*time.Second; elapsed > limit {
		t.Errorf("the stalled client was cut %v after the burst began (sent in %v), want within %v", elapsed, sent, limit)
	}
	t.Logf("stalled client cut after %v (%s); Stats %+v", elapsed.Round(time.Millisecond), d.reason, h.srv.Stats())
	if st := h.srv.Stats(); st.Sockets != burstReaders+1 {
		t.Errorf("Stats %+v: a reader was cut", st)
	}
}

// TestStalledReaderHeapIsBounded: under slow_consumer "drop" a client that
// stops reading stays connected while 40 MiB are emitted to it; the heap
// grows by no more than its outbound queue (outbound_buffer_bytes) and
// melody's (outbound_buffer frames) can hold.
func TestStalledReaderHeapIsBounded(t *testing.T) {
	cfg := testConfig()
	cfg.SlowConsumer = SlowConsumerDrop
	cfg.WriteTimeout = time.Minute // nothing cuts it during the test
	cfg.OutboundBuffer = 16
	cfg.OutboundBufferBytes = 1 << 20
	h := newHarness(t, cfg)
	h.withSmallBuffers()
	stalled := h.stall()
	const size, count = 64 << 10, 640
	before := liveHeap()
	for i := range count {
		payload := strings.Repeat(string(rune('a'+i%26)), size) // a new frame each time
		if err := stalled.Emit("link", payload); err != nil && !errors.Is(err, ErrSlowConsumer) {
			t.Fatal(err)
		}
	}
	growth := liveHeap() - before
	bound := cfg.OutboundBufferBytes + int64(cfg.OutboundBuffer)*(size+64) + 2<<20 // + 2 MiB for the runtime's own
	t.Logf("%d MiB emitted to a stalled client: live heap grew %d KiB (bound %d KiB); Stats %+v",
		size*count>>20, growth>>10, bound>>10, h.srv.Stats())
	if growth > bound {
		t.Errorf("live heap grew %d bytes, more than %d", growth, bound)
	}
	if st := h.srv.Stats(); st.FramesDropped == 0 || st.Sockets != 1 || st.OutboundQueuePeak > cfg.OutboundBufferBytes {
		t.Errorf("Stats %+v: want drops, the client still there, the queue within its bound", st)
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
