package adaptertest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/eventwire/eventwire/middleware"
)

// Run runs the conformance suite against the adapters newAdapter makes:
// three Servers, each with sockets, acting as one.
func Run(t *testing.T, newAdapter NewAdapter) {
	t.Run("broadcasts exactly once", func(t *testing.T) { testBroadcasts(t, newAdapter) })
	t.Run("order from one sender", func(t *testing.T) { testOrder(t, newAdapter) })
	t.Run("binary packets", func(t *testing.T) { testBinary(t, newAdapter) })
	t.Run("join leave disconnect", func(t *testing.T) { testCommands(t, newAdapter) })
	t.Run("len and room members", func(t *testing.T) { testQueries(t, newAdapter) })
	t.Run("bursts reach every reader", func(t *testing.T) { testBursts(t, newAdapter) })
}

// testBroadcasts: six clients, two per node, in rooms red and blue spread
// over the nodes; each operator reaches exactly its sockets, each once.
func testBroadcasts(t *testing.T, newAdapter NewAdapter) {
	nodes := newCluster(t, 3, newAdapter)
	var cl []*client
	for _, n := range nodes {
		cl = append(cl, n.dial(t), n.dial(t))
	}
	// a: node 0, b: node 0 in red, c: node 1 in red and blue, d: node 1,
	// e: node 2 in blue, f: node 2.
	a, b, c, d, e, f := cl[0], cl[1], cl[2], cl[3], cl[4], cl[5]
	b.node.conn(t, b.id).Join("red")
	c.node.conn(t, c.id).Join("red", "blue")
	e.node.conn(t, e.id).Join("blue")
	all := func(except ...*client) map[*client]int {
		m := map[*client]int{}
		for _, x := range cl {
			if !slices.Contains(except, x) {
				m[x] = 1
			}
		}
		return m
	}
	only := func(xs ...*client) map[*client]int {
		m := map[*client]int{}
		for _, x := range xs {
			m[x] = 1
		}
		return m
	}
	tests := []struct {
		name string
		from *node
		op   func() middleware.Operator
		want map[*client]int
	}{
		{"to all", nodes[1], nodes[1].srv.Broadcast, all()},
		{"all but the sender", nodes[0], func() middleware.Operator { return a.node.conn(t, a.id).Broadcast() }, all(a)},
		{"rooms, a socket in both once", nodes[2], func() middleware.Operator { return nodes[2].srv.To("red", "blue") }, only(b, c, e)},
		{"except a room", nodes[0], func() middleware.Operator { return nodes[0].srv.Except("red") }, only(a, d, e, f)},
		{"a room but the sender", nodes[1], func() middleware.Operator { return c.node.conn(t, c.id).To("blue") }, only(e)},
		{"a room except a room", nodes[2], func() middleware.Operator { return nodes[2].srv.To("blue").Except("red") }, only(e)},
		{"an empty To reaches no one", nodes[0], func() middleware.Operator { return nodes[0].srv.To() }, only()},
		{"local", nodes[1], func() middleware.Operator { return nodes[1].srv.Broadcast().Local() }, only(c, d)},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, marker := fmt.Sprintf("emit-%d", i), fmt.Sprintf("marker-%d", i)
			if err := tc.op().Emit("msg", text); err != nil {
				t.Fatal(err)
			}
			settle(t, tc.from, marker)
			expectCounts(t, cl, marker, text, tc.want)
		})
	}
	published := nodes[0].srv.Stats().ClusterPublished
	received := nodes[1].srv.Stats().ClusterReceived
	if published == 0 || received == 0 {
		t.Errorf("Stats: node 0 published %d, node 1 received %d; want both counted", published, received)
	}
}

// testOrder: 500 emits of one socket reach a socket on every other node in
// the order they were made.
func testOrder(t *testing.T, newAdapter NewAdapter) {
	nodes := newCluster(t, 3, newAdapter)
	sender := nodes[0].dial(t)
	receivers := []*client{nodes[1].dial(t), nodes[2].dial(t)}
	conn := sender.node.conn(t, sender.id)
	const n = 500
	for i := range n {
		if err := conn.Broadcast().Emit("msg", fmt.Sprint("n-", i)); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, nodes[0], "end")
	for _, r := range receivers {
		got := r.until(t, msg("end"))
		if len(got) != n {
			t.Fatalf("client on node %s got %d events, want %d", r.node.srv.NodeID(), len(got), n)
		}
		for i, e := range got {
			if want := msg(fmt.Sprint("n-", i)); e != want {
				t.Fatalf("event %d is %s, want %s", i, e, want)
			}
		}
	}
	if got := sender.until(t, msg("end")); len(got) != 0 {
		t.Errorf("the sender got %d of its own events", len(got))
	}
}

// testBinary: an event with bytes crosses nodes as a BINARY_EVENT with its
// attachment.
func testBinary(t *testing.T, newAdapter NewAdapter) {
	nodes := newCluster(t, 2, newAdapter)
	local, remote := nodes[0].dial(t), nodes[1].dial(t)
	data := []byte{0, 1, 2, 0xfe, 0xff, '"', '\n'}
	if err := nodes[0].srv.Broadcast().Emit("file", fileValue{Name: "f.bin", Data: data}); err != nil {
		t.Fatal(err)
	}
	want := `file:{"name":"f.bin","data":"AAEC/v8iCg=="}`
	for _, c := range []*client{local, remote} {
		if got := c.next(t); got != want {
			t.Errorf("client on node %s got %s, want %s", c.node.srv.NodeID(), got, want)
		}
	}
}

// testCommands: Join, Leave and Disconnect from one node act on the
// sockets of every node.
func testCommands(t *testing.T, newAdapter NewAdapter) {
	nodes := newCluster(t, 3, newAdapter)
	var red, others []*client
	for _, n := range nodes {
		r := n.dial(t)
		n.conn(t, r.id).Join("red")
		red = append(red, r)
		others = append(others, n.dial(t))
	}
	everyone := append(slices.Clone(red), others...)
	ctx := context.Background()
	redIDs := ids(red)

	// Join, then emit from the same node: every node handles the join first.
	if err := nodes[0].srv.To("red").Join("green"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[0].srv.To("green").Emit("msg", "to green"); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes[0], "m1")
	expectCounts(t, everyone, "m1", "to green", counts(red))
	for _, n := range nodes {
		got, err := n.srv.ClusterRoomMembers(ctx, "green")
		if err != nil || !slices.Equal(sortedIDs(got), redIDs) {
			t.Errorf("green members from node %s: %v %v, want %v", n.srv.NodeID(), sortedIDs(got), err, redIDs)
		}
	}

	if err := nodes[1].srv.To("green").Leave("green"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].srv.To("green").Emit("msg", "to green again"); err != nil {
		t.Fatal(err)
	}
	settle(t, nodes[1], "m2")
	expectCounts(t, everyone, "m2", "to green again", nil)

	if err := nodes[2].srv.To("red").Disconnect(); err != nil {
		t.Fatal(err)
	}
	for _, r := range red {
		r.waitEnded(t)
	}
	eventually(t, "the cluster counts the sockets left", func() bool {
		n, err := nodes[0].srv.ClusterLen(ctx)
		return err == nil && n == len(others)
	})
}

// memberName is a recoverable key: its values travel with ClusterRoomMembers.
var memberName = middleware.NewRecoverableKey[string]("adaptertest-name")

// testQueries: ClusterLen and ClusterRoomMembers from any node see every
// node's sockets, each with its node and its recoverable data.
func testQueries(t *testing.T, newAdapter NewAdapter) {
	nodes := newCluster(t, 3, newAdapter)
	want := map[string]string{} // member socket id -> node id
	for i, n := range nodes {
		for range i + 1 { // 1, 2 and 3 sockets
			c := n.dial(t)
			conn := n.conn(t, c.id)
			conn.Join("room")
			memberName.Set(conn, "name of "+c.id)
			want[c.id] = n.srv.NodeID()
		}
	}
	nodes[2].dial(t) // not in the room
	ctx := context.Background()
	for _, n := range nodes {
		total, err := n.srv.ClusterLen(ctx)
		if err != nil || total != 7 {
			t.Errorf("ClusterLen from node %s = %d, %v; want 7", n.srv.NodeID(), total, err)
		}
		members, err := n.srv.ClusterRoomMembers(ctx, "room")
		if err != nil || len(members) != len(want) {
			t.Fatalf("ClusterRoomMembers from node %s = %v, %v; want %d", n.srv.NodeID(), members, err, len(want))
		}
		for i, m := range members {
			if want[m.ID] != m.Node {
				t.Errorf("member %s on node %q, want %q", m.ID, m.Node, want[m.ID])
			}
			if name, ok := memberName.Remote(m); name != "name of "+m.ID || !ok {
				t.Errorf("member %s: its recoverable key's value is %q, %v", m.ID, name, ok)
			}
			if i == 0 && m.Node != n.srv.NodeID() {
				t.Errorf("node %s lists %s first, not its own", n.srv.NodeID(), m.Node)
			}
		}
	}
}

func ids(cl []*client) []string {
	out := make([]string, len(cl))
	for i, c := range cl {
		out[i] = c.id
	}
	slices.Sort(out)
	return out
}

func counts(cl []*client) map[*client]int {
	m := map[*client]int{}
	for _, c := range cl {
		m[c] = 1
	}
	return m
}

// testBursts: one client sends bursts of 1,000 and 3,000 chat lines to
// its node, which broadcasts each to 20 reading clients on the other node;
// the cluster delivers them there in batches. None is cut (the outbound
// queue takes the burst), every line arrives once and in order.
func testBursts(t *testing.T, newAdapter NewAdapter) {
	nodes := newCluster(t, 2, newAdapter)
	sender := nodes[0].dial(t)
	var readers []*client
	for range 20 {
		readers = append(readers, nodes[1].dial(t))
	}
	for _, n := range []int{1000, 3000} {
		end := fmt.Sprint("end-", n)
		for i := range n {
			if err := sender.sc.Emit("say", chatLine(n, i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := sender.sc.Emit("say", end); err != nil {
			t.Fatal(err)
		}
		for _, r := range readers {
			got := r.until(t, msg(end))
			for i, e := range got {
				if want := msg(chatLine(n, i)); e != want {
					t.Fatalf("burst of %d: line %d is %s, want %s; %+v %+v", n, i, e, want, nodes[0].srv.Stats(), nodes[1].srv.Stats())
				}
			}
			if len(got) != n {
				t.Fatalf("burst of %d: a client got %d lines", n, len(got))
			}
		}
	}
	if st := nodes[1].srv.Stats(); st.SlowConsumerDisconnects != 0 || st.FramesDropped != 0 || st.Sockets != len(readers) {
		t.Errorf("reading node's Stats %+v: a reader was cut or a frame dropped", st)
	}
}

// chatLine is line i of a burst of n, about 64 bytes as a chat line is.
func chatLine(n, i int) string {
	return fmt.Sprintf("%d-%05d chat line text of a typical length, more or less.", n, i)
}
