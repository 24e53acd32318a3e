package nats_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/nats"
)

func TestMain(m *testing.M) {
	broker.ChildMain() // as the child process of TestKill: serves a node until killed
	goleak.VerifyTestMain(m)
}

var _ middleware.RecoveryAdapter = (*nats.Adapter)(nil)

// broker is the machine's NATS (EVENTWIRE_NATS_URL, or the default) for the
// conformance suite, and a private nats-server for the outage test.
var broker = adaptertest.Service{
	Name: "NATS", EnvURL: "EVENTWIRE_NATS_URL", DefaultURL: "nats://127.0.0.1:4222",
	Scheme: "nats://", Binary: "nats-server",
	Args: func(port int) []string {
		// JetStream stores in the process's directory, kept across restarts.
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", "."}
	},
	New: func(url string) (middleware.Adapter, error) { return nats.New(url) },
}

func TestConformance(t *testing.T) { broker.RunConformance(t) }

// TestOutage kills a private nats-server during traffic and starts it
// again on the same port.
func TestOutage(t *testing.T) { broker.RunOutage(t) }

// TestRecoveryStore runs the log and session checks against a private nats-server with JetStream.
func TestRecoveryStore(t *testing.T) { broker.RunRecoveryStore(t) }

func TestSubject(t *testing.T) {
	tests := []struct{ channel, subject string }{
		{"eventwire#/#", "eventwire.~2F.~"},
		{"eventwire#/admin#", "eventwire.~2Fadmin.~"},
		{"eventwire#node#k3J_-x", "eventwire.node.k3J_-x"},
		{"eventwire#cluster#", "eventwire.cluster.~"},
		{"my.app#/a b*>#", "my~2Eapp.~2Fa~20b~2A~3E.~"},
		{"x~7E", "x~7E7E"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := nats.Subject(tc.channel)
		if got != tc.subject {
			t.Errorf("Subject(%q) = %q, want %q", tc.channel, got, tc.subject)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q map to %q", other, tc.channel, got)
		}
		seen[got] = tc.channel
	}
}

// TestRecoveryStoreRestart: a nats-server restarted with its store keeps a
// log, its epoch and the sessions.
func TestRecoveryStoreRestart(t *testing.T) {
	p := adaptertest.StartProcess(t, broker.Binary, broker.Args)
	open := broker.RecoveryAdapters(broker.Scheme + p.Addr())
	ctx := context.Background()
	a := open(t)
	states, err := a.SubscribeLogs(ctx, []string{"eventwire#log#/r"}, middleware.LogLimits{MaxEntries: 100, MaxBytes: 1 << 20, MaxAge: time.Hour}, func(string, middleware.LogEntry) {})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AppendLog(ctx, "eventwire#log#/r", [][]byte{[]byte("one"), []byte("two")}); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.PutSession(ctx, "eventwire#session#/r#pid", "a", []byte("v"), time.Minute); !ok || err != nil {
		t.Fatalf("PutSession = %v, %v", ok, err)
	}
	_ = a.Close()
	p.Stop(t)
	p.Start(t)

	b := open(t)
	defer b.Close()
	st, entries, err := b.ReadLog(ctx, "eventwire#log#/r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch != states[0].Epoch || st.First != 1 || st.Last != 2 || len(entries) != 2 || string(entries[1].Msg) != "two" {
		t.Fatalf("after a restart: state %+v (epoch was %q), %d entries", st, states[0].Epoch, len(entries))
	}
	if v, err := b.TakeSession(ctx, "eventwire#session#/r#pid", "b", time.Minute); string(v) != "v" || err != nil {
		t.Fatalf("TakeSession after a restart = %q, %v", v, err)
	}
}

func TestNames(t *testing.T) {
	streams := map[string]string{
		"eventwire#log#/chat":  "eventwire#log#~2Fchat",
		"eventwire#log#/":      "eventwire#log#~2F",
		"eventwire#log#/a.b":   "eventwire#log#~2Fa~2Eb",
		"eventwire#log#/a#b":   "eventwire#log#~2Fa#b",
		"eventwire#log#/a~23b": "eventwire#log#~2Fa~7E23b",
	}
	keys := map[string]string{
		"eventwire#session#/chat#k3J": "eventwire.session.=2Fchat.k3J",
		"eventwire#session#/#":        "eventwire.session.=2F.=",
		"eventwire#session#/a.b#p":    "eventwire.session.=2Fa=2Eb.p",
		"eventwire#session#/=#p":      "eventwire.session.=2F=3D.p",
	}
	for name, f := range map[string]func(string) string{"StreamName": nats.StreamName, "SessionKey": nats.SessionKey} {
		tests := streams
		if name == "SessionKey" {
			tests = keys
		}
		seen := map[string]string{}
		for in, want := range tests {
			got := f(in)
			if got != want {
				t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
			}
			if other, dup := seen[got]; dup {
				t.Errorf("%s: %q and %q map to %q", name, other, in, got)
			}
			seen[got] = in
		}
	}
}

// TestRecovery: a client recovers on another node, and every node
// delivers the log's order.
func TestRecovery(t *testing.T) { broker.RunRecovery(t) }

// TestKill: a node killed with SIGKILL mid-stream; its client recovers on
// the other node with the same sid and every event once.
func TestKill(t *testing.T) { broker.RunKill(t) }

// TestBrokerRestart: nats-server keeps its JetStream store on disk: the log and the session survive, and the client recovers exactly.
func TestBrokerRestart(t *testing.T) {
	if got := broker.RunBrokerRestart(t); got != true {
		t.Errorf("recovered after a broker restart: %v, want %v", got, true)
	}
}
