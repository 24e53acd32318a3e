package middleware

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestSlowConsumer pauses one client (it never reads) while broadcasts flow
// to it and to a client that reads: under either policy the reader gets
// every frame, the paused one costs at most its buffer, and every frame not
// queued is counted and reported.
func TestSlowConsumer(t *testing.T) {
	for _, policy := range []string{SlowConsumerDisconnect, SlowConsumerDrop} {
		t.Run(policy, func(t *testing.T) {
			cfg := testConfig()
			cfg.OutboundBuffer = 16
			// Long enough that the paused client is not cut for a stalled
			// write during the test (under either policy a write stuck for
			// WriteTimeout ends the connection).
			cfg.WriteTimeout = 3 * time.Second
			cfg.SlowConsumer = policy
			h := newHarness(t, cfg)
			reader, _ := h.connect()
			_, paused := h.connect() // never reads again
			// Lockstep: the reader takes each broadcast before the next, so
			// only the paused client falls behind (kernel buffers, then its
			// outbound buffer).
			const n = 2000
			big := strings.Repeat("x", 32<<10)
			var slowErr error
			for i, after := 0, 0; i < n && after < 20; i++ {
				if err := h.srv.Broadcast().Emit("link", big); err != nil {
					t.Fatal(err)
				}
				if args := reader.readEvent("link"); len(args) != 1 || len(args[0]) != len(big)+2 {
					t.Fatalf("broadcast %d: the reader got %d args", i, len(args))
				}
				if err := paused.Emit("tick"); err != nil && slowErr == nil {
					slowErr = err
				}
				if slowErr != nil {
					after++ // a few more broadcasts once the buffer is full
				}
			}
			st := h.srv.Stats()
			if st.FramesDropped == 0 {
				t.Fatalf("Stats %+v: no frame counted as dropped", st)
			}
			switch policy {
			case SlowConsumerDisconnect:
				if !errors.Is(slowErr, ErrSlowConsumer) {
					t.Errorf("Emit to the paused client: first error %v, want ErrSlowConsumer", slowErr)
				}
				if d := h.waitGone(t); d.id != paused.ID() || d.reason != reasonSlowConsumer {
					t.Errorf("OnDisconnect(%s, %q), want the paused client with %q", d.id, d.reason, reasonSlowConsumer)
				}
				if st := h.srv.Stats(); st.SlowConsumerDisconnects != 1 {
					t.Errorf("SlowConsumerDisconnects = %d, want 1", st.SlowConsumerDisconnects)
				}
			case SlowConsumerDrop:
				if !errors.Is(slowErr, ErrSlowConsumer) {
					t.Errorf("Emit to the paused client: first error %v, want ErrSlowConsumer", slowErr)
				}
				if st.SlowConsumerDisconnects != 0 || st.Sockets != 2 {
					t.Errorf("Stats %+v: the paused client must stay under drop", st)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if _, err := EmitWithAck[int64](ctx, paused, "count"); !errors.Is(err, ErrSlowConsumer) {
					t.Errorf("EmitWithAck to a full buffer: %v, want ErrSlowConsumer", err)
				}
			}
			if logs := h.logs.String(); !strings.Contains(logs, "level=WARN") {
				t.Errorf("no warn log for the slow consumer:\n%.2000s", logs)
			}
		})
	}
}
