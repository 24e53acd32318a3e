package middleware

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

// stuckAdapter's Publish blocks until release is closed; it records what
// happened to it.
type stuckAdapter struct {
	release chan struct{}

	mu         sync.Mutex
	subscribed []string
	closed     atomic.Bool
}

func newStuckAdapter() *stuckAdapter { return &stuckAdapter{release: make(chan struct{})} }

func (a *stuckAdapter) Subscribe(_ context.Context, channels []string, _ func(string, []byte)) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.subscribed = channels
	return nil
}

func (a *stuckAdapter) Publish(ctx context.Context, _ string, _ []byte) error {
	select {
	case <-a.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *stuckAdapter) Close() error {
	a.closed.Store(true)
	return nil
}

func (a *stuckAdapter) isClosed() bool { return a.closed.Load() }

func TestNoAdapterIsASingleNode(t *testing.T) {
	h := newHarness(t, testConfig())
	_, conn := h.connect()
	conn.Join("room")
	ctx := context.Background()
	if n, err := h.srv.ClusterLen(ctx); n != 1 || err != nil {
		t.Errorf("ClusterLen = %d, %v; want 1", n, err)
	}
	members, err := h.srv.ClusterRoomMembers(ctx, "room")
	if err != nil || len(members) != 1 || members[0] != (RemoteSocket{ID: conn.ID(), Node: h.srv.NodeID()}) {
		t.Errorf("ClusterRoomMembers = %v, %v", members, err)
	}
	if h.srv.NodeID() == "" || h.srv.ClusterNodes() != nil || h.srv.root.cluster != nil {
		t.Errorf("NodeID %q, ClusterNodes %v, cluster %v", h.srv.NodeID(), h.srv.ClusterNodes(), h.srv.root.cluster)
	}
	if err := h.srv.Broadcast().Join("other"); err != nil || !strings.Contains(strings.Join(conn.Rooms(), ","), "other") {
		t.Errorf("Operator.Join: %v, rooms %v", err, conn.Rooms())
	}
	if st := h.srv.Stats(); st.ClusterPublished+st.ClusterPublishFailed+st.ClusterReceived != 0 {
		t.Errorf("cluster counters without an adapter: %+v", st)
	}
}

func TestAdapterChannelsAndOptions(t *testing.T) {
	a := newStuckAdapter()
	close(a.release)
	schema := testSchema()
	schema.Namespaces = []NamespaceSchema{{Name: "/admin", Events: []Event{{Name: "note", ServerSends: true, Payload: str()}}}}
	srv, err := New(schema, WithConfig(testConfig()), WithAdapter(a, AdapterOptions{Prefix: "app"}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"app#/#": true, "app#/admin#": true, "app#cluster#": true, "app#node#" + srv.NodeID(): true}
	a.mu.Lock()
	got := a.subscribed
	a.mu.Unlock()
	if len(got) != len(want) {
		t.Errorf("subscribed %v, want %v", got, want)
	}
	for _, ch := range got {
		if !want[ch] {
			t.Errorf("subscribed %q, want %v", ch, want)
		}
	}
	_ = srv.Close()
	if !a.isClosed() {
		t.Error("Close left the adapter open")
	}

	for _, o := range []AdapterOptions{{Prefix: "a#b"}, {QueueSize: -1}, {Heartbeat: -1}} {
		b := newStuckAdapter()
		if _, err := New(testSchema(), WithAdapter(b, o)); err == nil || !strings.HasPrefix(err.Error(), "eventwire: adapter:") {
			t.Errorf("options %+v: err %v", o, err)
		}
		if !b.isClosed() {
			t.Errorf("options %+v: a failing New left the adapter open", o)
		}
	}
}

// TestPublishQueueFull: with the broker stuck, emits beyond the queue
// still reach this node's sockets and return ErrClusterPublish, counted.
func TestPublishQueueFull(t *testing.T) {
	a := newStuckAdapter()
	logs := &logBuffer{}
	cfg := testConfig()
	srv, err := New(testSchema(), WithConfig(cfg), WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
		WithAdapter(a, AdapterOptions{QueueSize: 2}))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, srv: srv, logs: logs, conns: make(chan *Conn, 10), gone: make(chan disconnect, 10)}
	h.serve()
	t.Cleanup(func() { close(a.release) }) // before Close (cleanups run last first)
	cl, _ := h.connect()
	var refused error
	for i := 0; refused == nil; i++ {
		if i > 3+2 { // the heartbeat being published, two queued, then one refused
			t.Fatal("the queue never filled")
		}
		refused = srv.Broadcast().Emit("link", "x")
		if args := cl.readEvent("link"); string(args[0]) != `"x"` {
			t.Fatalf("local delivery: %q", args)
		}
	}
	if !errors.Is(refused, ErrClusterPublish) || !strings.Contains(refused.Error(), "queue is full") {
		t.Errorf("err = %v, want ErrClusterPublish (queue full)", refused)
	}
	if st := srv.Stats(); st.ClusterPublishFailed != 1 {
		t.Errorf("ClusterPublishFailed = %d, want 1", st.ClusterPublishFailed)
	}
	if !strings.Contains(logs.String(), "cluster messages not published") {
		t.Errorf("no warning logged:\n%s", logs)
	}
}

// TestClusterWithMemoryHub: two Servers on a Hub; an emit of one reaches
// the other's socket, and a down Hub makes emits fail visibly.
func TestClusterWithMemoryHub(t *testing.T) {
	hub := memory.NewHub()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes []*harness
	for range 2 {
		srv, err := New(testSchema(), WithConfig(testConfig()), WithLogger(quiet), WithAdapter(hub.Adapter(), AdapterOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		h := &harness{t: t, srv: srv, logs: &logBuffer{}, conns: make(chan *Conn, 10), gone: make(chan disconnect, 10)}
		h.serve()
		nodes = append(nodes, h)
	}
	remote, _ := nodes[1].connect()
	if err := nodes[0].srv.Broadcast().Emit("link", "across"); err != nil {
		t.Fatal(err)
	}
	if args := remote.readEvent("link"); string(args[0]) != `"across"` {
		t.Errorf("remote got %q", args)
	}
	if st := nodes[1].srv.Stats(); st.ClusterReceived == 0 {
		t.Errorf("ClusterReceived = 0")
	}
}

// serve puts h.srv, made by the test, on an httptest.Server with the
// harness's hooks, as newSchemaHarness does.
func (h *harness) serve() {
	h.srv.OnConnect(func(ctx context.Context, c *Conn) error {
		h.conns <- c
		return nil
	})
	h.srv.OnDisconnect(func(c *Conn, reason string) { h.gone <- disconnect{c.ID(), reason} })
	h.ts = httptest.NewServer(h.srv)
	h.t.Cleanup(func() {
		_ = h.srv.Close()
		h.ts.Close()
	})
}
