// Package adaptertest is the conformance suite every middleware.Adapter
// passes: Run starts several Servers in the test process, each with its
// own adapter, connects raw Socket.IO clients to each, and checks that the
// Servers act as one (every broadcast variant exactly once, order, binary
// packets, cluster commands and queries); RunOutage checks what happens
// while the broker is down. The adapters' packages call them with their
// constructors.
package adaptertest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventwire/eventwire/internal/sioclient"
	"github.com/eventwire/eventwire/middleware"
)

// NewAdapter makes one node's adapter; the suite closes it through its Server.
type NewAdapter func(t *testing.T) middleware.Adapter

// waitFor bounds every wait for the cluster to settle; the suite polls
// within it and asserts no duration.
const waitFor = 20 * time.Second

// schema: msg carries a string, file a name and bytes (a binary packet);
// clients send say, which each node broadcasts as msg to all but the sender.
func schema() middleware.Schema {
	str := &middleware.Shape{Kind: middleware.KindString}
	file := &middleware.Shape{Kind: middleware.KindObject, Fields: []middleware.FieldShape{
		{Name: "name", Required: true, Shape: str},
		{Name: "data", Required: true, Shape: &middleware.Shape{Kind: middleware.KindBytes}},
	}}
	return middleware.Schema{Events: []middleware.Event{
		{Name: "msg", ServerSends: true, Payload: str},
		{Name: "file", ServerSends: true, Payload: file},
		{Name: "say", ClientSends: true, Payload: str},
	}}
}

type fileValue struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// node is one Server of the test cluster with its sockets by id.
type node struct {
	srv *middleware.Server
	url string

	mu    sync.Mutex
	conns map[string]*middleware.Conn
}

func (n *node) conn(t *testing.T, id string) *middleware.Conn {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.conns[id]
	if c == nil {
		t.Fatalf("no socket %s on node %s", id, n.srv.NodeID())
	}
	return c
}

// newCluster starts n Servers sharing a fresh channel prefix and waits
// until each knows the others.
func newCluster(t *testing.T, n int, newAdapter NewAdapter) []*node {
	t.Helper()
	opts := middleware.AdapterOptions{Prefix: "ewtest-" + randomHex(), Heartbeat: 500 * time.Millisecond}
	cfg := middleware.DefaultConfig()
	cfg.PingInterval = time.Second // pings keep idle clients' read deadlines moving
	cfg.RateLimit = 0
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = startNode(t, cfg, newAdapter(t), opts)
		err := middleware.Handle(nodes[i].srv, "say", func(ctx context.Context, c *middleware.Conn, text string) error {
			return c.Broadcast().Emit("msg", text)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every node knows the others", func() bool {
		for _, nd := range nodes {
			if len(nd.srv.ClusterNodes()) != n-1 {
				return false
			}
		}
		return true
	})
	return nodes
}

// startNode starts a Server of the schema on adapter a, on an httptest.Server;
// its OnConnect records each socket by id.
func startNode(t *testing.T, cfg middleware.Config, a middleware.Adapter, opts middleware.AdapterOptions) *node {
	t.Helper()
	srv, err := middleware.New(schema(), middleware.WithConfig(cfg),
		middleware.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), middleware.WithAdapter(a, opts))
	if err != nil {
		t.Fatal(err)
	}
	nd := &node{srv: srv, conns: make(map[string]*middleware.Conn)}
	srv.OnConnect(func(ctx context.Context, c *middleware.Conn) error {
		nd.mu.Lock()
		defer nd.mu.Unlock()
		nd.conns[c.ID()] = c
		return nil
	})
	ts := httptest.NewServer(srv)
	nd.url = ts.URL
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	return nd
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// eventually polls cond until it holds, failing the test after waitFor.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client is a raw Socket.IO client whose events a goroutine reads into a
// channel, as "name:argJSON" strings.
type client struct {
	sc     *sioclient.Client
	id     string
	node   *node
	events chan string
	ended  chan struct{} // closed when the connection ended
}

func (n *node) dial(t *testing.T) *client {
	t.Helper()
	sc, err := sioclient.Dial(n.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{sc: sc, id: sc.SID, node: n, events: make(chan string, 4096), ended: make(chan struct{})}
	go func() {
		defer close(c.ended)
		for {
			name, args, err := sc.ReadEvent()
			if err != nil {
				return
			}
			arg := ""
			if len(args) > 0 {
				arg = string(args[0])
			}
			c.events <- name + ":" + arg
		}
	}()
	t.Cleanup(func() {
		_ = sc.Close()
		<-c.ended
	})
	eventually(t, "the node registered the socket", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.conns[c.id] != nil
	})
	return c
}

// next returns the client's next event.
func (c *client) next(t *testing.T) string {
	t.Helper()
	select {
	case e := <-c.events:
		return e
	case <-time.After(waitFor):
		t.Fatalf("client %s: no event", c.id)
	}
	return ""
}

// waitEnded waits until the server has closed the client's connection.
func (c *client) waitEnded(t *testing.T) {
	t.Helper()
	select {
	case <-c.ended:
	case <-time.After(waitFor):
		t.Fatalf("client %s: still connected", c.id)
	}
}

// until reads events up to marker and returns those before it.
func (c *client) until(t *testing.T, marker string) []string {
	t.Helper()
	var got []string
	for {
		e := c.next(t)
		if e == marker {
			return got
		}
		got = append(got, e)
	}
}

// msg is how a client records a msg event carrying text.
func msg(text string) string { return `msg:"` + text + `"` }

// settle makes every frame an emit from n has caused reach its clients
// before the marker does: a cluster query from n is answered by each node
// after that node handled n's earlier messages, and n itself has handled
// its own echo from the broker by then; the marker, emitted after, queues
// behind them all.
func settle(t *testing.T, n *node, marker string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := n.srv.ClusterLen(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.srv.Broadcast().Emit("msg", marker); err != nil {
		t.Fatal(err)
	}
}

// expectCounts reads every client up to marker and checks how many times
// each got text: want[client] times, 0 for a client not listed.
func expectCounts(t *testing.T, clients []*client, marker, text string, want map[*client]int) {
	t.Helper()
	for i, c := range clients {
		got := 0
		for _, e := range c.until(t, msg(marker)) {
			if e == msg(text) {
				got++
			}
		}
		if got != want[c] {
			t.Errorf("client %d (%s): got %q %d times, want %d", i, c.id, text, got, want[c])
		}
	}
}

func sortedIDs(sockets []middleware.RemoteSocket) []string {
	ids := make([]string, len(sockets))
	for i, s := range sockets {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	return ids
}
