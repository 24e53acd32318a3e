package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventwire/eventwire/middleware"
)

// Broker is the broker the adapters under test use, which the outage test
// stops and starts again (a private process, never a shared one).
type Broker interface {
	Stop(t *testing.T)
	Start(t *testing.T)
}

// RunOutage checks a broker outage during traffic: local delivery goes on,
// emits return ErrClusterPublish and Stats count the failures, and
// cross-node delivery resumes, both ways, once the broker is back.
func RunOutage(t *testing.T, broker Broker, newAdapter NewAdapter) {
	nodes := newCluster(t, 2, newAdapter)
	a, b := nodes[0].dial(t), nodes[1].dial(t)
	emit := func(n *node, text string) error {
		t.Helper()
		return n.srv.Broadcast().Emit("msg", text)
	}
	if err := emit(nodes[0], "before"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, b} {
		if got := c.next(t); got != msg("before") {
			t.Fatalf("before the outage: got %s", got)
		}
	}

	broker.Stop(t)
	failed := false
	for i := 0; !failed; i++ {
		text := fmt.Sprint("down-", i)
		err := emit(nodes[0], text)
		switch {
		case errors.Is(err, middleware.ErrClusterPublish):
			failed = true
		case err != nil:
			t.Fatalf("emit during the outage: %v", err)
		case i > 2000:
			t.Fatal("emits never reported the outage")
		}
		if got := a.next(t); got != msg(text) { // local delivery goes on
			t.Fatalf("local client got %s, want %s", got, msg(text))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := nodes[0].srv.Stats(); st.ClusterPublishFailed == 0 {
		t.Errorf("Stats.ClusterPublishFailed = 0 after a failed publish")
	}
	if _, err := nodes[0].srv.ClusterLen(context.Background()); !errors.Is(err, middleware.ErrClusterPublish) {
		t.Errorf("ClusterLen during the outage: %v, want ErrClusterPublish", err)
	}

	broker.Start(t)
	resumed(t, nodes[0], a, b, "a-to-b")
	resumed(t, nodes[1], b, a, "b-to-a")
}

// resumed emits from n until remote receives one of those emits, checking
// that local gets each; it fails if that does not happen within waitFor.
func resumed(t *testing.T, n *node, local, remote *client, prefix string) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for i := 0; ; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("%s: cross-node delivery did not resume", prefix)
		}
		text := fmt.Sprint(prefix, "-", i)
		if err := n.srv.Broadcast().Emit("msg", text); err != nil && !errors.Is(err, middleware.ErrClusterPublish) {
			t.Fatal(err)
		}
		ours := msg(prefix)[:len(msg(prefix))-1] // `msg:"<prefix>`: this phase's events
		for got := local.next(t); got != msg(text); got = local.next(t) {
			if strings.HasPrefix(got, ours) { // the other phase's late arrivals are skipped
				t.Fatalf("%s: local client got %s, want %s", prefix, got, msg(text))
			}
		}
		select {
		case got := <-remote.events:
			if strings.HasPrefix(got, ours) {
				return
			}
		case <-time.After(100 * time.Millisecond):
		}
	}
}
