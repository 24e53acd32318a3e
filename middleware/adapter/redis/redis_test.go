package redis_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/redis"
)

func TestMain(m *testing.M) {
	broker.ChildMain() // as the child process of TestKill: serves a node until killed
	goleak.VerifyTestMain(m)
}

// broker is the machine's Redis (EVENTWIRE_REDIS_URL, or the default) for the
// conformance suite, and a private redis-server for the outage test.
var broker = adaptertest.Service{
	Name: "Redis", EnvURL: "EVENTWIRE_REDIS_URL", DefaultURL: "redis://127.0.0.1:6379",
	Scheme: "redis://", Binary: "redis-server",
	Args: func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	},
	New: func(url string) (middleware.Adapter, error) { return redis.New(url) },
}

func TestConformance(t *testing.T) { broker.RunConformance(t) }

// TestOutage kills a private redis-server during traffic and starts it
// again on the same port.
func TestOutage(t *testing.T) { broker.RunOutage(t) }

func TestNewRefusesABadURL(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:1"} {
		if a, err := redis.New(url); err == nil {
			_ = a.Close()
			t.Errorf("New(%q) succeeded", url)
		}
	}
}

var _ middleware.RecoveryAdapter = (*redis.Adapter)(nil)

// TestRecoveryStore runs the log and session checks against a private redis-server.
func TestRecoveryStore(t *testing.T) { broker.RunRecoveryStore(t) }

// TestLogLimitsAndWipe checks what the shared suite does not: the byte and
// age limits, a new epoch after Redis lost its data, a payload on a log's
// channel that is not an entry, and the calls the adapter refuses.
func TestLogLimitsAndWipe(t *testing.T) {
	p := adaptertest.StartProcess(t, broker.Binary, broker.Args)
	url := broker.Scheme + p.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adapter := func(limits middleware.LogLimits, stream string, deliver func(string, middleware.LogEntry)) (*redis.Adapter, middleware.LogState) {
		t.Helper()
		a, err := redis.New(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		states, err := a.SubscribeLogs(ctx, []string{stream}, limits, deliver)
		if err != nil {
			t.Fatal(err)
		}
		return a, states[0]
	}
	read := func(a *redis.Adapter, stream string) (middleware.LogState, []string) {
		t.Helper()
		st, entries, err := a.ReadLog(ctx, stream, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, e := range entries {
			msgs = append(msgs, string(e.Msg))
		}
		return st, msgs
	}
	appendLog := func(a *redis.Adapter, stream string, msgs ...string) {
		t.Helper()
		var raw [][]byte
		for _, m := range msgs {
			raw = append(raw, []byte(m))
		}
		if err := a.AppendLog(ctx, stream, raw); err != nil {
			t.Fatal(err)
		}
	}
	nothing := func(string, middleware.LogEntry) {}

	bytesLog := "eventwire#log#/bytes"
	a, _ := adapter(middleware.LogLimits{MaxEntries: 100, MaxBytes: 10, MaxAge: time.Hour}, bytesLog, nothing)
	appendLog(a, bytesLog, "aaaa", "bbbb", "cccc")
	if st, msgs := read(a, bytesLog); st.First != 2 || st.Last != 3 || len(msgs) != 2 || msgs[0] != "bbbb" {
		t.Fatalf("a log of 10 bytes after 12: %+v %q", st, msgs)
	}

	ageLog := "eventwire#log#/age"
	a, _ = adapter(middleware.LogLimits{MaxEntries: 100, MaxBytes: 1 << 20, MaxAge: 300 * time.Millisecond}, ageLog, nothing)
	appendLog(a, ageLog, "old")
	time.Sleep(500 * time.Millisecond)
	if st, msgs := read(a, ageLog); st.First != 2 || st.Last != 1 || len(msgs) != 0 {
		t.Fatalf("a log whose entry is past MaxAge: %+v %q", st, msgs)
	}

	wiped := "eventwire#log#/wiped"
	var mu sync.Mutex
	var got []middleware.LogEntry
	a, before := adapter(middleware.LogLimits{MaxEntries: 100, MaxBytes: 1 << 20, MaxAge: time.Hour}, wiped, func(_ string, e middleware.LogEntry) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, e)
	})
	appendLog(a, wiped, "one", "two")
	client := goredis.NewClient(&goredis.Options{Addr: p.Addr()})
	defer func() { _ = client.Close() }()
	if err := client.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Publish(ctx, wiped, "not an entry").Err(); err != nil {
		t.Fatal(err)
	}
	st, msgs := read(a, wiped)
	if st.Epoch == before.Epoch || st.First != 1 || st.Last != 0 || len(msgs) != 0 {
		t.Fatalf("a wiped log: %+v %q, the old epoch was %q", st, msgs, before.Epoch)
	}
	appendLog(a, wiped, "anew")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 || got[2].Epoch != st.Epoch || got[2].Seq != 1 || string(got[2].Msg) != "anew" || got[1].Seq != 2 {
		t.Fatalf("delivered %+v, want two entries of the old epoch and {%s 1 anew}", got, st.Epoch)
	}

	fresh, err := redis.New(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = fresh.Close() }()
	if err := fresh.AppendLog(ctx, wiped, [][]byte{[]byte("x")}); err == nil {
		t.Error("AppendLog before SubscribeLogs succeeded")
	}
	if _, err := fresh.TakeSession(ctx, "eventwire#session#/#pid", "o", 0); err == nil {
		t.Error("TakeSession with a ttl of 0 succeeded")
	}
	if _, err := a.SubscribeLogs(ctx, []string{wiped}, middleware.LogLimits{}, nothing); err == nil {
		t.Error("SubscribeLogs called twice succeeded")
	}
}

// TestRecovery: a client recovers on another node, and every node
// delivers the log's order.
func TestRecovery(t *testing.T) { broker.RunRecovery(t) }

// TestKill: a node killed with SIGKILL mid-stream; its client recovers on
// the other node with the same sid and every event once.
func TestKill(t *testing.T) { broker.RunKill(t) }

// TestBrokerRestart: the private redis-server keeps nothing on disk (as the machine's): the log and the session are gone, and the client gets a fresh session.
func TestBrokerRestart(t *testing.T) {
	if got := broker.RunBrokerRestart(t); got != false {
		t.Errorf("recovered after a broker restart: %v, want %v", got, false)
	}
}
