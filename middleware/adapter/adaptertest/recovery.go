package adaptertest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eventwire/eventwire/internal/sioclient"
	"github.com/eventwire/eventwire/middleware"
)

// Connection state recovery across the nodes of a cluster, with the log
// and the sessions in the broker (middleware.RecoveryAdapter).

// recoveryConfig is the config of every node of a recovery test.
func recoveryConfig() middleware.Config {
	cfg := middleware.DefaultConfig()
	cfg.PingInterval = time.Second
	cfg.RateLimit = 0
	cfg.Recovery = true
	cfg.RecoveryMaxDisconnection = 30 * time.Second
	return cfg
}

// newRecoveryNode starts a Server with recovery on adapter a, sharing
// prefix.
func newRecoveryNode(t *testing.T, a middleware.Adapter, prefix string) *node {
	t.Helper()
	return startNode(t, recoveryConfig(), a, middleware.AdapterOptions{Prefix: prefix, Heartbeat: 500 * time.Millisecond})
}

// reader is a raw client that keeps what recovery needs: the texts of the
// msg events it got, with their offsets.
type reader struct {
	sc     *sioclient.Client
	events chan logged
	ended  chan struct{}
}

type logged struct{ text, offset string }

// dialRecovering connects to url, with pid and offset in the CONNECT
// payload when pid is set, and reads its msg events.
func dialRecovering(t *testing.T, url, pid, offset string) *reader {
	t.Helper()
	var auth any
	if pid != "" {
		auth = map[string]string{"pid": pid, "offset": offset}
	}
	var sc *sioclient.Client
	var err error
	for deadline := time.Now().Add(waitFor); ; time.Sleep(50 * time.Millisecond) {
		if sc, err = sioclient.Dial(url, auth); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{sc: sc, events: make(chan logged, 8192), ended: make(chan struct{})}
	go func() {
		defer close(r.ended)
		for {
			name, args, err := sc.ReadEvent()
			if err != nil {
				return
			}
			var e logged // offset "": a frame not logged (sent while the broker failed)
			if name != "msg" || len(args) < 1 || len(args) > 2 || json.Unmarshal(args[0], &e.text) != nil ||
				len(args) == 2 && json.Unmarshal(args[1], &e.offset) != nil {
				e.text = fmt.Sprintf("unexpected %s%s", name, args)
			}
			r.events <- e
		}
	}()
	t.Cleanup(func() {
		_ = sc.Close()
		<-r.ended
	})
	return r
}

// next returns the reader's next event; ok is false when the connection
// ended first.
func (r *reader) next(t *testing.T) (logged, bool) {
	t.Helper()
	select {
	case e := <-r.events:
		return e, true
	case <-r.ended:
		select {
		case e := <-r.events:
			return e, true
		default:
			return logged{}, false
		}
	case <-time.After(waitFor):
		t.Fatal("no event")
	}
	return logged{}, false
}

// expect reads the texts want, in order.
func (r *reader) expect(t *testing.T, what string, want ...string) (last string) {
	t.Helper()
	for _, w := range want {
		e, ok := r.next(t)
		if !ok || e.text != w {
			t.Fatalf("%s: got %q (connected %v), want %q", what, e.text, ok, w)
		}
		last = e.offset
	}
	return last
}

// RunRecovery checks recovery across nodes: a client comes back on
// another node and gets what it missed from both, and every client of
// every node gets the log's order.
func RunRecovery(t *testing.T, newAdapter NewAdapter) {
	t.Run("back on another node", func(t *testing.T) { testRecoverElsewhere(t, newAdapter) })
	t.Run("one order on every node", func(t *testing.T) { testRecoveryOrder(t, newAdapter) })
}

func testRecoverElsewhere(t *testing.T, newAdapter NewAdapter) {
	prefix := "ewtest-" + randomHex()
	a, b := newRecoveryNode(t, newAdapter(t), prefix), newRecoveryNode(t, newAdapter(t), prefix)
	obs := dialRecovering(t, b.url, "", "") // waits for each emit, so the test decides the log's order
	emit := func(n *node, text string) {
		t.Helper()
		if err := n.srv.Broadcast().Emit("msg", text); err != nil {
			t.Fatal(err)
		}
		obs.expect(t, "observer", text)
	}
	c := dialRecovering(t, a.url, "", "")
	if c.sc.PID == "" {
		t.Fatal("CONNECT reply without a pid")
	}
	emit(a, "one")
	emit(b, "two")
	offset := c.expect(t, "before the drop", "one", "two")
	time.Sleep(100 * time.Millisecond) // the session is written through
	_ = c.sc.Cut()
	emit(b, "missed 1")
	emit(a, "missed 2")
	back := dialRecovering(t, b.url, c.sc.PID, offset)
	if back.sc.SID != c.sc.SID || back.sc.PID != c.sc.PID {
		t.Fatalf("came back as sid %s pid %s, want %s %s", back.sc.SID, back.sc.PID, c.sc.SID, c.sc.PID)
	}
	back.expect(t, "replayed", "missed 1", "missed 2")
	emit(a, "live")
	back.expect(t, "live", "live")
}

func testRecoveryOrder(t *testing.T, newAdapter NewAdapter) {
	prefix := "ewtest-" + randomHex()
	nodes := []*node{newRecoveryNode(t, newAdapter(t), prefix), newRecoveryNode(t, newAdapter(t), prefix)}
	readers := []*reader{dialRecovering(t, nodes[0].url, "", ""), dialRecovering(t, nodes[1].url, "", "")}
	const each = 150
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if err := n.srv.Broadcast().Emit("msg", fmt.Sprintf("%d-%d", i, j)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var got [2][]logged
	for i, r := range readers {
		for range 2 * each {
			e, ok := r.next(t)
			if !ok {
				t.Fatalf("reader %d: connection ended", i)
			}
			got[i] = append(got[i], e)
		}
	}
	for k := range got[0] {
		if got[0][k] != got[1][k] {
			t.Fatalf("event %d: node 0's client got %+v, node 1's %+v", k, got[0][k], got[1][k])
		}
	}
}

// The node killed by SIGKILL runs in a child process: the adapter
// package's test binary, run again with these variables set, serves one
// node until it is killed (ChildMain).
const (
	childEnv       = "EVENTWIRE_ADAPTERTEST_NODE"        // the broker URL
	childPrefixEnv = "EVENTWIRE_ADAPTERTEST_NODE_PREFIX" // the channel prefix
)

// ChildMain serves a node in a child process when the test binary runs as
// one (see RunKill) and never returns then; otherwise it returns at once.
// Call it first in TestMain.
func (b Service) ChildMain() {
	url := os.Getenv(childEnv)
	if url == "" {
		return
	}
	a, err := b.New(url)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	srv, err := middleware.New(schema(), middleware.WithConfig(recoveryConfig()),
		middleware.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))),
		middleware.WithAdapter(a, middleware.AdapterOptions{Prefix: os.Getenv(childPrefixEnv), Heartbeat: 500 * time.Millisecond}))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ts := httptest.NewServer(srv)
	fmt.Println("url:", ts.URL)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-stop:
	case <-time.After(2 * time.Minute): // bounded: a lost child ends by itself
	}
	os.Exit(0)
}

// startChild runs a node in a child process on the broker at url and
// returns its URL and the process, which the test kills.
func startChild(t *testing.T, url, prefix string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+url, childPrefixEnv+"="+prefix)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "url: ") {
		t.Fatalf("child node: %q, %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "url: ")), cmd
}

// RunKill checks that a session survives its node: a client reads a
// stream from a node in a child process, the child is killed with SIGKILL
// mid-stream, and the client recovers on another node with the same sid
// and every event once, in order.
func (b Service) RunKill(t *testing.T) {
	p := StartProcess(t, b.Binary, b.Args)
	url, prefix := b.Scheme+p.Addr(), "ewtest-"+randomHex()
	childURL, child := startChild(t, url, prefix)
	survivor := newRecoveryNode(t, b.Adapters(url)(t), prefix)
	c := dialRecovering(t, childURL, "", "")
	time.Sleep(200 * time.Millisecond) // the session is written through at connect

	const total = 300
	done := make(chan error, 1)
	go func() { // the stream, from the surviving node
		for i := range total {
			if err := survivor.srv.Broadcast().Emit("msg", fmt.Sprint("event ", i)); err != nil {
				done <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
		done <- nil
	}()
	var got []logged
	for len(got) < 100 {
		e, ok := c.next(t)
		if !ok {
			t.Fatal("the connection ended before the kill")
		}
		got = append(got, e)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for ok := true; ok; { // what was in flight before the kill
		var e logged
		if e, ok = c.next(t); ok {
			got = append(got, e)
		}
	}
	back := dialRecovering(t, survivor.url, c.sc.PID, got[len(got)-1].offset)
	if back.sc.SID != c.sc.SID {
		t.Fatalf("after the kill: sid %s, want %s (recovered)", back.sc.SID, c.sc.SID)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for len(got) < total {
		e, ok := back.next(t)
		if !ok {
			t.Fatal("the recovered connection ended")
		}
		got = append(got, e)
	}
	for i, e := range got {
		if want := fmt.Sprint("event ", i); e.text != want {
			t.Fatalf("event %d is %q, want %q: lost, doubled or out of order", i, e.text, want)
		}
	}
}

// RunBrokerRestart checks a broker restart: a client that was cut off
// while the broker was down either recovers exactly (the broker kept its
// state) or gets a fresh session with nothing replayed, never a partial or
// doubled replay.
func (b Service) RunBrokerRestart(t *testing.T) (recovered bool) {
	p := StartProcess(t, b.Binary, b.Args)
	url, prefix := b.Scheme+p.Addr(), "ewtest-"+randomHex()
	a, n2 := newRecoveryNode(t, b.Adapters(url)(t), prefix), newRecoveryNode(t, b.Adapters(url)(t), prefix)
	c, obs := dialRecovering(t, a.url, "", ""), dialRecovering(t, n2.url, "", "")
	for i := range 5 {
		if err := n2.srv.Broadcast().Emit("msg", fmt.Sprint("before ", i)); err != nil {
			t.Fatal(err)
		}
	}
	drain(t, obs, "before 4")
	offset := c.expect(t, "before the restart", "before 0", "before 1", "before 2", "before 3", "before 4")
	time.Sleep(200 * time.Millisecond) // the session is written through
	p.Stop(t)
	_ = c.sc.Cut()
	p.Start(t)
	// Emit until the log works again (an observer gets an offset), then
	// five more that the log must have.
	for i := 0; ; i++ {
		text := fmt.Sprint("retry ", i)
		if err := n2.srv.Broadcast().Emit("msg", text); err != nil && !errors.Is(err, middleware.ErrClusterPublish) {
			t.Fatal(err)
		}
		e, _ := obs.next(t)
		for e.text != text {
			e, _ = obs.next(t) // a late one, logged once the broker was back
		}
		if e.offset != "" {
			break
		}
		if i > 2000 {
			t.Fatal("the log did not work again after the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	var after []string
	for i := range 5 {
		text := fmt.Sprint("after ", i)
		if err := n2.srv.Broadcast().Emit("msg", text); err != nil {
			t.Fatal(err)
		}
		after = append(after, text)
	}
	drain(t, obs, after[len(after)-1])
	time.Sleep(200 * time.Millisecond)
	back := dialRecovering(t, n2.url, c.sc.PID, offset)
	if back.sc.SID != c.sc.SID {
		// A fresh session: nothing replayed, only what comes next.
		if err := n2.srv.Broadcast().Emit("msg", "fresh"); err != nil {
			t.Fatal(err)
		}
		back.expect(t, "a fresh session after the restart", "fresh")
		return false
	}
	// Recovered: every logged emit after its offset once, in order. Those
	// published after the restart are in the log; what failed during it
	// never reached the log, so it is not replayed either.
	var got []string
	if err := n2.srv.Broadcast().Emit("msg", "marker"); err != nil {
		t.Fatal(err)
	}
	for {
		e, ok := back.next(t)
		if !ok {
			t.Fatal("the recovered connection ended")
		}
		if e.text == "marker" {
			break
		}
		got = append(got, e.text)
	}
	// The retries logged once the broker was back may come first; then
	// the five, once each, in order.
	seen := map[string]bool{}
	for _, text := range got {
		if seen[text] || !strings.HasPrefix(text, "retry ") && !strings.HasPrefix(text, "after ") {
			t.Fatalf("recovered after the restart with %q: doubled or foreign", got)
		}
		seen[text] = true
	}
	if len(got) < len(after) || strings.Join(got[len(got)-len(after):], "|") != strings.Join(after, "|") {
		t.Fatalf("recovered after the restart with %q, want it to end with %q", got, after)
	}
	return true
}

// drain reads r up to the event text.
func drain(t *testing.T, r *reader, text string) {
	t.Helper()
	for {
		e, ok := r.next(t)
		if !ok {
			t.Fatal("the connection ended")
		}
		if e.text == text {
			return
		}
	}
}
