package nats_test

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/nats"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sharedURL is the machine's NATS (EVENTWIRE_NATS_URL, or the default);
// the suite uses subjects of its own prefix there.
func sharedURL() string {
	if u := os.Getenv("EVENTWIRE_NATS_URL"); u != "" {
		return u
	}
	return "nats://127.0.0.1:4222"
}

func newAdapter(url string) adaptertest.NewAdapter {
	return func(t *testing.T) middleware.Adapter {
		t.Helper()
		a, err := nats.New(url)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

func TestConformance(t *testing.T) {
	a, err := nats.New(sharedURL())
	if err != nil {
		adaptertest.Missing(t, "NATS at "+sharedURL(), err)
	}
	_ = a.Close()
	adaptertest.Run(t, newAdapter(sharedURL()))
}

// TestOutage kills a private nats-server during traffic and starts it
// again on the same port.
func TestOutage(t *testing.T) {
	p := adaptertest.StartProcess(t, "nats-server", func(port int) []string {
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port)}
	})
	adaptertest.RunOutage(t, p, newAdapter("nats://"+p.Addr()))
}

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
