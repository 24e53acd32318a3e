package adaptertest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventwire/eventwire/middleware"
)

// NewRecoveryAdapter returns a new adapter on the broker under test.
type NewRecoveryAdapter func(t *testing.T) middleware.RecoveryAdapter

// RunRecoveryStore checks what a RecoveryAdapter adds to an Adapter: the
// ordered logs (append, live delivery to every subscriber in one order,
// reads, trimming) and the sessions (owners, take-over, expiry). Each
// subtest uses names of its own, so the broker may be shared.
func RunRecoveryStore(t *testing.T, newAdapter NewRecoveryAdapter) {
	t.Run("log order and reads", func(t *testing.T) { testLogOrder(t, newAdapter) })
	t.Run("log order with two appenders", func(t *testing.T) { testLogConcurrent(t, newAdapter) })
	t.Run("log trimmed to its limits", func(t *testing.T) { testLogTrim(t, newAdapter) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, newAdapter) })
	t.Run("session expiry", func(t *testing.T) { testSessionExpiry(t, newAdapter) })
}

var roomy = middleware.LogLimits{MaxEntries: 10000, MaxBytes: 16 << 20, MaxAge: time.Hour}

// logReader collects what SubscribeLogs hands over.
type logReader struct {
	mu      sync.Mutex
	entries []middleware.LogEntry
	streams []string
}

func (r *logReader) deliver(stream string, e middleware.LogEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streams = append(r.streams, stream)
	r.entries = append(r.entries, e)
}

func (r *logReader) wait(t *testing.T, n int) []middleware.LogEntry {
	t.Helper()
	var got []middleware.LogEntry
	eventually(t, fmt.Sprintf("%d log entries delivered", n), func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = append([]middleware.LogEntry(nil), r.entries...)
		return len(got) >= n
	})
	if len(got) != n {
		t.Fatalf("delivered %d entries, want %d", len(got), n)
	}
	return got
}

func subscribeLogs(t *testing.T, a middleware.RecoveryAdapter, limits middleware.LogLimits, streams ...string) (*logReader, []middleware.LogState) {
	t.Helper()
	r := &logReader{}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	states, err := a.SubscribeLogs(ctx, streams, limits, r.deliver)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(streams) {
		t.Fatalf("SubscribeLogs returned %d states for %d streams", len(states), len(streams))
	}
	return r, states
}

func newRecoveryAdapter(t *testing.T, newAdapter NewRecoveryAdapter) middleware.RecoveryAdapter {
	t.Helper()
	a := newAdapter(t)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func appendLog(t *testing.T, a middleware.RecoveryAdapter, stream string, msgs ...string) {
	t.Helper()
	var raw [][]byte
	for _, m := range msgs {
		raw = append(raw, []byte(m))
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := a.AppendLog(ctx, stream, raw); err != nil {
		t.Fatal(err)
	}
}

func readLog(t *testing.T, a middleware.RecoveryAdapter, stream string, after uint64, limit int) (middleware.LogState, []middleware.LogEntry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	st, entries, err := a.ReadLog(ctx, stream, after, limit)
	if err != nil {
		t.Fatal(err)
	}
	return st, entries
}

// checkEntries fails unless entries are msgs under seqs first, first+1, …
// of epoch.
func checkEntries(t *testing.T, what string, entries []middleware.LogEntry, epoch string, first uint64, msgs ...string) {
	t.Helper()
	if len(entries) != len(msgs) {
		t.Fatalf("%s: %d entries, want %d", what, len(entries), len(msgs))
	}
	for i, e := range entries {
		if e.Epoch != epoch || e.Seq != first+uint64(i) || string(e.Msg) != msgs[i] {
			t.Fatalf("%s: entry %d is {%s %d %q}, want {%s %d %q}", what, i, e.Epoch, e.Seq, e.Msg, epoch, first+uint64(i), msgs[i])
		}
	}
}

// testLogOrder: two nodes subscribe to a new log, one appends in two
// batches; both get every entry, numbered from 1, and reads return them.
func testLogOrder(t *testing.T, newAdapter NewRecoveryAdapter) {
	stream, other := "eventwire-test-"+randomHex()+"#log#/", "eventwire-test-"+randomHex()+"#log#/other"
	a, b := newRecoveryAdapter(t, newAdapter), newRecoveryAdapter(t, newAdapter)
	ra, states := subscribeLogs(t, a, roomy, stream, other)
	rb, statesB := subscribeLogs(t, b, roomy, stream, other)
	st := states[0]
	if st.Epoch == "" || st.Last != 0 || st.First != 1 {
		t.Fatalf("a new log's state is %+v, want an epoch, First 1 and Last 0", st)
	}
	if statesB[0].Epoch != st.Epoch {
		t.Fatalf("two nodes see epochs %q and %q for one log", st.Epoch, statesB[0].Epoch)
	}

	appendLog(t, a, stream, "one", "two", "three")
	appendLog(t, b, stream, "four")
	appendLog(t, a, other, "elsewhere")
	appendLog(t, a, stream, "five")
	want := []string{"one", "two", "three", "four", "five"}
	for name, r := range map[string]*logReader{"a": ra, "b": rb} {
		got := r.wait(t, len(want)+1)
		var mine []middleware.LogEntry
		for i, e := range got {
			if r.streams[i] == stream {
				mine = append(mine, e)
			} else if string(e.Msg) != "elsewhere" || e.Seq != 1 {
				t.Fatalf("node %s: the other log delivered {%d %q}", name, e.Seq, e.Msg)
			}
		}
		checkEntries(t, "node "+name+" live", mine, st.Epoch, 1, want...)
	}

	st2, entries := readLog(t, b, stream, 2, 100)
	if st2.Epoch != st.Epoch || st2.First != 1 || st2.Last != 5 {
		t.Fatalf("state after 5 appends: %+v", st2)
	}
	checkEntries(t, "ReadLog(after 2)", entries, st.Epoch, 3, "three", "four", "five")
	_, entries = readLog(t, a, stream, 0, 2)
	checkEntries(t, "ReadLog(after 0, limit 2)", entries, st.Epoch, 1, "one", "two")
	_, entries = readLog(t, a, stream, 5, 10)
	checkEntries(t, "ReadLog(after the top)", entries, st.Epoch, 6)
}

// testLogConcurrent: two nodes append at once; every subscriber sees one
// order, with seqs 1..n and no gap, and each node's entries in its order.
func testLogConcurrent(t *testing.T, newAdapter NewRecoveryAdapter) {
	stream := "eventwire-test-" + randomHex() + "#log#/"
	a, b := newRecoveryAdapter(t, newAdapter), newRecoveryAdapter(t, newAdapter)
	ra, states := subscribeLogs(t, a, roomy, stream)
	rb, _ := subscribeLogs(t, b, roomy, stream)
	const each = 200
	var wg sync.WaitGroup
	for _, n := range []struct {
		name string
		a    middleware.RecoveryAdapter
	}{{"a", a}, {"b", b}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i += 4 {
				msgs := [][]byte{}
				for j := i; j < i+4; j++ {
					msgs = append(msgs, fmt.Appendf(nil, "%s-%d", n.name, j))
				}
				if err := n.a.AppendLog(context.Background(), stream, msgs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ga, gb := ra.wait(t, 2*each), rb.wait(t, 2*each)
	next := map[string]int{}
	for i := range ga {
		if ga[i].Seq != uint64(i+1) || ga[i].Epoch != states[0].Epoch {
			t.Fatalf("entry %d has seq %d epoch %q", i, ga[i].Seq, ga[i].Epoch)
		}
		if !bytes.Equal(ga[i].Msg, gb[i].Msg) || ga[i].Seq != gb[i].Seq {
			t.Fatalf("entry %d: node a got {%d %s}, node b {%d %s}", i, ga[i].Seq, ga[i].Msg, gb[i].Seq, gb[i].Msg)
		}
		name := string(ga[i].Msg[:1])
		if want := fmt.Sprintf("%s-%d", name, next[name]); string(ga[i].Msg) != want {
			t.Fatalf("entry %d is %s, want %s: one appender's order changed", i, ga[i].Msg, want)
		}
		next[name]++
	}
	_, read := readLog(t, b, stream, 0, 3*each)
	if len(read) != 2*each || read[len(read)-1].Seq != 2*each || !bytes.Equal(read[17].Msg, ga[17].Msg) {
		t.Fatalf("ReadLog returned %d entries, not the %d delivered", len(read), 2*each)
	}
}

// testLogTrim: a log bounded to 10 entries keeps the newest (at least 10),
// contiguous up to the top, and says where it starts.
func testLogTrim(t *testing.T, newAdapter NewRecoveryAdapter) {
	stream := "eventwire-test-" + randomHex() + "#log#/"
	a := newRecoveryAdapter(t, newAdapter)
	r, states := subscribeLogs(t, a, middleware.LogLimits{MaxEntries: 10, MaxBytes: 1 << 20, MaxAge: time.Hour}, stream)
	var all []string
	for i := range 300 {
		all = append(all, fmt.Sprint("m", i))
	}
	for i := 0; i < len(all); i += 30 {
		appendLog(t, a, stream, all[i:i+30]...)
	}
	r.wait(t, len(all))
	st, entries := readLog(t, a, stream, 0, 1000)
	if st.Last != 300 || st.First < 2 || st.First > 291 {
		t.Fatalf("state after 300 appends to a log of 10: %+v, want Last 300 and First in [2, 291]", st)
	}
	checkEntries(t, "what is kept", entries, states[0].Epoch, st.First, all[st.First-1:]...)
	if len(entries) > 150 {
		t.Errorf("a log bounded to 10 entries keeps %d", len(entries))
	}
}

func putSession(t *testing.T, a middleware.RecoveryAdapter, key, owner, value string, ttl time.Duration) bool {
	t.Helper()
	ok, err := a.PutSession(context.Background(), key, owner, []byte(value), ttl)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func takeSession(t *testing.T, a middleware.RecoveryAdapter, key, owner string, ttl time.Duration) string {
	t.Helper()
	v, err := a.TakeSession(context.Background(), key, owner, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		return "<none>"
	}
	return string(v)
}

// testSessions: the owner rules, across two nodes.
func testSessions(t *testing.T, newAdapter NewRecoveryAdapter) {
	key := "eventwire-test-" + randomHex() + "#session#/#pid"
	a, b := newRecoveryAdapter(t, newAdapter), newRecoveryAdapter(t, newAdapter)
	const ttl = time.Minute
	if got := takeSession(t, b, key, "b1", ttl); got != "<none>" {
		t.Fatalf("TakeSession of a key never stored = %q", got)
	}
	if !putSession(t, a, key, "a1", "v1", ttl) {
		t.Fatal("PutSession of a new key failed")
	}
	if !putSession(t, a, key, "a1", "v2", ttl) {
		t.Fatal("PutSession by the owner failed")
	}
	if putSession(t, b, key, "b1", "stolen", ttl) {
		t.Fatal("PutSession by another owner succeeded")
	}
	if got := takeSession(t, b, key, "b1", ttl); got != "v2" {
		t.Fatalf("TakeSession = %q, want v2", got)
	}
	if putSession(t, a, key, "a1", "late", ttl) {
		t.Fatal("PutSession by the former owner succeeded after a take-over")
	}
	if err := a.DeleteSession(context.Background(), key, "a1"); err != nil {
		t.Fatal(err)
	}
	if !putSession(t, b, key, "b1", "v3", ttl) {
		t.Fatal("PutSession by the new owner failed (did the former owner's delete remove it?)")
	}
	if got := takeSession(t, a, key, "a2", ttl); got != "v3" {
		t.Fatalf("TakeSession = %q, want v3", got)
	}
	if err := a.DeleteSession(context.Background(), key, "a2"); err != nil {
		t.Fatal(err)
	}
	if got := takeSession(t, b, key, "b2", ttl); got != "<none>" {
		t.Fatalf("TakeSession after DeleteSession = %q", got)
	}
	if putSession(t, a, key, "a3", "x", ttl) == false {
		t.Fatal("PutSession after a take of nothing failed: TakeSession of an absent key must store nothing")
	}
}

// testSessionExpiry: a session is gone after its ttl, and a put renews it.
func testSessionExpiry(t *testing.T, newAdapter NewRecoveryAdapter) {
	key := "eventwire-test-" + randomHex() + "#session#/#pid"
	a := newRecoveryAdapter(t, newAdapter)
	const ttl = 1500 * time.Millisecond
	putSession(t, a, key, "a1", "v1", ttl)
	time.Sleep(ttl / 2)
	putSession(t, a, key, "a1", "v2", ttl)
	time.Sleep(ttl * 3 / 4) // past the first ttl, within the second
	if got := takeSession(t, a, key, "a1", ttl); got != "v2" {
		t.Fatalf("a renewed session: TakeSession = %q, want v2", got)
	}
	time.Sleep(ttl + 500*time.Millisecond)
	if got := takeSession(t, a, key, "a2", ttl); got != "<none>" {
		t.Fatalf("an expired session: TakeSession = %q", got)
	}
	if !putSession(t, a, key, "a3", "v3", ttl) {
		t.Fatal("PutSession on an expired key failed")
	}
}
