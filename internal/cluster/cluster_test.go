package cluster

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

// hub is a Broker for the nodes of one test: every publish reaches every
// subscriber of its channel, in order, on the publisher's goroutine.
type hub struct {
	mu   sync.Mutex
	subs map[string][]func(string, []byte)
}

type hubBroker struct{ h *hub }

func (b hubBroker) Subscribe(_ context.Context, channels []string, deliver func(string, []byte)) error {
	b.h.mu.Lock()
	defer b.h.mu.Unlock()
	for _, ch := range channels {
		b.h.subs[ch] = append(b.h.subs[ch], deliver)
	}
	return nil
}

func (b hubBroker) Publish(_ context.Context, channel string, msg []byte) error {
	b.h.mu.Lock()
	subs := slices.Clone(b.h.subs[channel])
	b.h.mu.Unlock()
	for _, deliver := range subs {
		deliver(channel, append([]byte(nil), msg...))
	}
	return nil
}

func (hubBroker) Close() error { return nil }

// fakeLocal records what other nodes asked of it.
type fakeLocal struct {
	mu        sync.Mutex
	delivered []string
	applied   []string
	sockets   int
	members   []Member
}

func (l *fakeLocal) HasNamespace(ns string) bool { return ns == "/" }

func (l *fakeLocal) Deliver(ns string, t Target, text []byte, _ [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delivered = append(l.delivered, ns+" "+t.ExceptID+" "+string(text))
}

func (l *fakeLocal) DeliverUnlogged(ns string, t Target, text []byte, atts [][]byte) {
	l.Deliver(ns, t, text, atts)
}

func (l *fakeLocal) Apply(ns string, op Op, t Target, rooms []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.applied = append(l.applied, ns+" "+t.To[0]+" "+rooms[0])
}

func (l *fakeLocal) Len(string) int                   { return l.sockets }
func (l *fakeLocal) RoomMembers(_, _ string) []Member { return l.members }

func (l *fakeLocal) seen() ([]string, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.delivered...), append([]string(nil), l.applied...)
}

func newNode(t *testing.T, h *hub, id string, local Local) *Node {
	t.Helper()
	n, err := New(hubBroker{h}, local, id, []string{"/"}, Options{
		Prefix: "test", QueueSize: 16, QueueBytes: 1 << 20, Heartbeat: 50 * time.Millisecond, PublishTimeout: time.Second,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

// TestTwoNodes: records reach the other node's Local, never their own
// node's, and queries add up the other nodes' answers.
func TestTwoNodes(t *testing.T) {
	h := &hub{subs: make(map[string][]func(string, []byte))}
	la, lb := &fakeLocal{}, &fakeLocal{sockets: 3, members: []Member{{ID: "s1", Data: []byte(`{"name":"ann"}`)}, {ID: "s2"}}}
	a, b := newNode(t, h, "node-a", la), newNode(t, h, "node-b", lb)
	waitFor(t, func() bool { return len(a.Peers()) == 1 && len(b.Peers()) == 1 })

	if err := a.Broadcast("/", Target{ExceptID: "me"}, []byte(`42["x"]`), nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Command("/", OpJoin, Target{Targeted: true, To: []string{"red"}}, []string{"blue"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { d, ap := lb.seen(); return len(d) == 1 && len(ap) == 1 })
	if d, ap := lb.seen(); d[0] != `/ me 42["x"]` || ap[0] != "/ red blue" {
		t.Errorf("node b got %q and %q", d, ap)
	}
	if d, ap := la.seen(); len(d)+len(ap) != 0 {
		t.Errorf("node a got its own records back: %q %q", d, ap)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := a.Len(ctx, "/"); n != 3 || err != nil {
		t.Errorf("Len = %d, %v; want 3", n, err)
	}
	want := []Member{{Node: "node-b", ID: "s1", Data: []byte(`{"name":"ann"}`)}, {Node: "node-b", ID: "s2", Data: []byte{}}}
	if got, err := a.RoomMembers(ctx, "/", "red"); !reflect.DeepEqual(got, want) || err != nil {
		t.Errorf("RoomMembers = %v, %v; want %v", got, err, want)
	}
	// A request is counted once its publish returns, which may be after
	// the answer came back through the in-test hub.
	waitFor(t, func() bool { return a.Stats().Published >= 4 })
	if st := a.Stats(); st.Failed != 0 || st.Received < 2 {
		t.Errorf("node a stats %+v", st)
	}
}

// TestMalformedIsCounted: what no node could have sent is dropped and
// counted, including a record for a namespace this node does not serve.
func TestMalformedIsCounted(t *testing.T) {
	h := &hub{subs: make(map[string][]func(string, []byte))}
	n := newNode(t, h, "node-a", &fakeLocal{})
	n.deliver("test#/#", []byte("not an envelope"))
	n.deliver("test#/#", encodeEnvelope("node-z", []record{{kind: kindBroadcast, ns: "/nope", text: []byte("42[]")}}))
	if st := n.Stats(); st.Malformed != 2 || st.Received != 0 {
		t.Errorf("stats %+v, want 2 malformed and none received", st)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stuckBroker's Publish waits until release is closed.
type stuckBroker struct{ release chan struct{} }

func (stuckBroker) Subscribe(context.Context, []string, func(string, []byte)) error { return nil }
func (b stuckBroker) Publish(ctx context.Context, _ string, _ []byte) error {
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (stuckBroker) Close() error { return nil }

// TestQueueBounds: while the broker is stuck, the publish queue takes
// messages up to its count and its bytes, and refuses the next with
// ErrQueueFull; once the broker answers, what was queued goes out.
func TestQueueBounds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		count int
		bytes int64
		fits  int
	}{
		{"count", 3, 1 << 20, 3},
		{"bytes", 1000, 250, 2}, // a record of a 100-byte packet takes about 110
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := stuckBroker{release: make(chan struct{})}
			n, err := New(b, &fakeLocal{}, "node-a", []string{"/"}, Options{
				Prefix: "test", QueueSize: tc.count, QueueBytes: tc.bytes, Heartbeat: time.Hour, PublishTimeout: time.Minute,
			}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			packet := make([]byte, 100)
			for i := range tc.fits {
				if err := n.Broadcast("/", Target{}, packet, nil); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			if err := n.Broadcast("/", Target{}, packet, nil); !errors.Is(err, ErrQueueFull) {
				t.Errorf("message %d: %v, want ErrQueueFull", tc.fits, err)
			}
			close(b.release)
			n.Close()
			if st := n.Stats(); st.Published != uint64(tc.fits) || st.Failed != 1 {
				t.Errorf("Stats %+v, want %d published and 1 failed", st, tc.fits)
			}
		})
	}
}
