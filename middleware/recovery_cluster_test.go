package middleware

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

// recoveryCluster is n Servers with recovery on, joined by hub; each
// node's OnConnect records whether the socket was recovered.
func recoveryCluster(t *testing.T, hub *memory.Hub, n int, configure ...func(*Config)) ([]*harness, []chan bool) {
	t.Helper()
	cfg := recoveryConfig()
	for _, c := range configure {
		c(&cfg)
	}
	var nodes []*harness
	var recovered []chan bool
	for range n {
		logs := &logBuffer{}
		logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
		srv, err := New(testSchema(), WithConfig(cfg), WithLogger(logger),
			WithAdapter(hub.Adapter(), AdapterOptions{Heartbeat: 200 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, srv: srv, logs: logs, got: make(chan any, 100), conns: make(chan *Conn, 100), gone: make(chan disconnect, 100)}
		h.serve()
		rec := make(chan bool, 100)
		srv.OnConnect(func(ctx context.Context, c *Conn) error {
			rec <- c.Recovered()
			h.conns <- c
			return nil
		})
		nodes = append(nodes, h)
		recovered = append(recovered, rec)
	}
	return nodes, recovered
}

// readLinks reads n link events and returns their texts, checking that
// the offsets increase; last is the last offset.
func (c *client) readLinks(n int) (texts []string, last string) {
	c.t.Helper()
	for range n {
		text, offset := c.readLink()
		if last != "" && !offsetAfter(offset, last) {
			c.t.Fatalf("offset %s after %s: not increasing", offset, last)
		}
		texts, last = append(texts, text), offset
	}
	return texts, last
}

// offsetAfter reports whether offset a comes after b in one epoch.
func offsetAfter(a, b string) bool {
	ea, sa, _ := strings.Cut(a, ".")
	eb, sb, _ := strings.Cut(b, ".")
	return ea == eb && (len(sa) > len(sb) || len(sa) == len(sb) && sa > sb)
}

func wantTexts(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

// TestClusterRecoveryOnAnotherNode: a client of node A whose transport
// drops comes back to node B: same sid and pid, its room and recoverable
// data, the events both nodes sent meanwhile once each in log order, then
// live ones from both.
func TestClusterRecoveryOnAnotherNode(t *testing.T) {
	hub := memory.NewHub()
	nodes, recovered := recoveryCluster(t, hub, 2)
	a, b := nodes[0], nodes[1]
	// Emits of two nodes are in the order they reach the log; an observer
	// in every room waits for each, so the order is the test's.
	obs, obsConn, _ := b.connectWith("")
	wantRecovered(t, recovered[1], false)
	obsConn.Join("red", "blue")
	emit := func(op Operator, text string) {
		t.Helper()
		if err := op.Emit("link", text); err != nil {
			t.Fatal(err)
		}
		if got, _ := obs.readLink(); got != text {
			t.Fatalf("observer got %q, want %q", got, text)
		}
	}
	ca, conn, s := a.connectWith("")
	wantRecovered(t, recovered[0], false)
	conn.Join("red")
	name := NewRecoverableKey[string]("cluster-name")
	name.Set(conn, "ann")
	emit(a.srv.Broadcast(), "from a")
	emit(b.srv.Broadcast(), "from b")
	texts, last := ca.readLinks(2)
	wantTexts(t, "before the drop", texts, "from a", "from b")
	s.offset = last
	// The session is in the broker once the store has written it.
	waitFor(t, "the session written", func() bool { return a.srv.sessions.pendingWrites() == 0 })

	ca.cut()
	a.waitGone(t)
	emit(a.srv.Broadcast(), "missed 1")
	emit(b.srv.To("red"), "missed 2 (red)")
	emit(b.srv.To("blue"), "not for it")
	emit(a.srv.Broadcast(), "missed 3")

	cb, conn2, s2 := b.resume(s)
	wantRecovered(t, recovered[1], true)
	if s2.sid != s.sid || s2.pid != s.pid || !conn2.Recovered() {
		t.Fatalf("came back as %+v, want %+v", s2, s)
	}
	if v, _ := name.Get(conn2); v != "ann" {
		t.Errorf("recoverable data: %q, want ann", v)
	}
	texts, last = cb.readLinks(3)
	wantTexts(t, "replayed", texts, "missed 1", "missed 2 (red)", "missed 3")
	if !offsetAfter(last, s.offset) {
		t.Errorf("replayed offsets end at %s, not after %s", last, s.offset)
	}
	emit(a.srv.To("red"), "live from a (red)")
	emit(b.srv.Broadcast(), "live from b")
	texts, _ = cb.readLinks(2)
	wantTexts(t, "live", texts, "live from a (red)", "live from b")
	if st := b.srv.Stats(); st.Recovered != 1 || st.FramesReplayed != 3 {
		t.Errorf("node B Stats: Recovered %d FramesReplayed %d, want 1 and 3", st.Recovered, st.FramesReplayed)
	}
}

// TestClusterRecoveryOrder: two nodes emit at once; clients on both get
// the same events in the same order, the order of their offsets.
func TestClusterRecoveryOrder(t *testing.T) {
	hub := memory.NewHub()
	nodes, recovered := recoveryCluster(t, hub, 2)
	ca, _, _ := nodes[0].connectWith("")
	cb, _, _ := nodes[1].connectWith("")
	wantRecovered(t, recovered[0], false)
	wantRecovered(t, recovered[1], false)
	const each = 100
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if err := n.srv.Broadcast().Emit("link", fmt.Sprintf("%d-%d", i, j)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	ta, _ := ca.readLinks(2 * each)
	tb, _ := cb.readLinks(2 * each)
	wantTexts(t, "node B's client against node A's", tb, ta...)
}

// TestClusterRecoveryTakesOverAcrossNodes: a client is back on node B
// before node A saw its connection die; A's socket is ended, B's
// recovered.
func TestClusterRecoveryTakesOverAcrossNodes(t *testing.T) {
	hub := memory.NewHub()
	nodes, recovered := recoveryCluster(t, hub, 2)
	a, b := nodes[0], nodes[1]
	_, _, s := a.connectWith("")
	wantRecovered(t, recovered[0], false)
	waitFor(t, "the session written", func() bool { return a.srv.sessions.pendingWrites() == 0 })
	_, conn2, s2 := b.resume(s) // the first connection is still open
	wantRecovered(t, recovered[1], true)
	if s2.sid != s.sid || !conn2.Recovered() {
		t.Fatalf("took over as %+v, want sid %s", s2, s.sid)
	}
	if d := a.waitGone(t); d.id != s.sid || d.reason != engineio.ReasonTransportClose {
		t.Errorf("node A's old socket: OnDisconnect %+v", d)
	}
	// The old socket's end does not bring the session back on node A: the
	// session is B's now, and B keeps writing it.
	waitFor(t, "both stores idle", func() bool {
		return a.srv.sessions.pendingWrites() == 0 && b.srv.sessions.pendingWrites() == 0
	})
	b.srv.sessions.touch(conn2)
	waitFor(t, "node B's write", func() bool { return b.srv.sessions.pendingWrites() == 0 })
	if !conn2.isConnected() {
		t.Error("node B's socket ended: its session write failed as if another owner held it")
	}
}

// TestClusterRecoveryNotKept: after the client's own disconnect, or once
// the broker lost its state, a client gets a fresh session on any node.
func TestClusterRecoveryNotKept(t *testing.T) {
	hub := memory.NewHub()
	nodes, recovered := recoveryCluster(t, hub, 2)
	a, b := nodes[0], nodes[1]

	ca, _, s := a.connectWith("")
	wantRecovered(t, recovered[0], false)
	ca.send("41")
	a.waitGone(t)
	waitFor(t, "the session removed", func() bool { return a.srv.sessions.pendingWrites() == 0 })
	_, _, s2 := b.resume(s)
	wantRecovered(t, recovered[1], false)
	if s2.sid == s.sid || s2.pid == s.pid {
		t.Errorf("after the client's own disconnect: %+v, want a fresh session", s2)
	}

	cb, _, s3 := b.connectWith("")
	wantRecovered(t, recovered[1], false)
	_ = a.srv.Broadcast().Emit("link", "before")
	// cb's first event is the one above (its own session started after s2's).
	_, s3.offset = cb.readLinks(1)
	waitFor(t, "the session written", func() bool { return b.srv.sessions.pendingWrites() == 0 })
	cb.cut()
	b.waitGone(t)
	waitFor(t, "the session kept", func() bool { return b.srv.sessions.pendingWrites() == 0 })
	hub.Reset() // the broker restarted without persistence
	_ = a.srv.Broadcast().Emit("link", "after the restart")
	_, _, s4 := a.resume(s3)
	wantRecovered(t, recovered[0], false)
	if s4.sid == s3.sid {
		t.Errorf("after the broker lost its state: recovered %+v", s4)
	}
	if st := a.srv.Stats(); st.RecoveryFailures.Unknown != 1 {
		t.Errorf("node A RecoveryFailures %+v, want Unknown 1", st.RecoveryFailures)
	}
}

// TestClusterRecoveryQuietClient: a quiet client whose last event the
// broker's log has trimmed (events for others) recovers on another node,
// from where its connection ended, as on one node.
func TestClusterRecoveryQuietClient(t *testing.T) {
	hub := memory.NewHub()
	nodes, recovered := recoveryCluster(t, hub, 2, func(c *Config) { c.RecoveryLogFrames = 5 })
	a, b := nodes[0], nodes[1]
	quiet, conn, s := a.connectWith("")
	wantRecovered(t, recovered[0], false)
	conn.Join("quiet")
	_ = a.srv.To("quiet").Emit("link", "for it")
	_, s.offset = quiet.readLink()
	for i := range 20 {
		_ = a.srv.To("busy").Emit("link", fmt.Sprint("busy ", i))
	}
	waitFor(t, "node A delivered the log", func() bool {
		a.srv.rec.mu.Lock()
		defer a.srv.rec.mu.Unlock()
		return a.srv.rec.shared.delivered == 21
	})
	quiet.cut()
	a.waitGone(t)
	waitFor(t, "the session kept", func() bool { return a.srv.sessions.pendingWrites() == 0 })
	_ = a.srv.To("quiet").Emit("link", "while away")
	back, _, s2 := b.resume(s)
	wantRecovered(t, recovered[1], true)
	if s2.sid != s.sid {
		t.Fatalf("a quiet client got a fresh session %+v", s2)
	}
	if text, _ := back.readLink(); text != "while away" {
		t.Errorf("replayed %q, want the event sent while it was away", text)
	}
}

// waitFor polls cond until it holds, for at most 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
