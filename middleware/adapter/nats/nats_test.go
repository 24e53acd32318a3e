package nats_test

import (
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/nats"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// broker is the machine's NATS (EVENTWIRE_NATS_URL, or the default) for the
// conformance suite, and a private nats-server for the outage test.
var broker = adaptertest.Service{
	Name: "NATS", EnvURL: "EVENTWIRE_NATS_URL", DefaultURL: "nats://127.0.0.1:4222",
	Scheme: "nats://", Binary: "nats-server",
	Args: func(port int) []string {
		return []string{"-a", "127.0.0.1", "-p", strconv.Itoa(port)}
	},
	New: func(url string) (middleware.Adapter, error) { return nats.New(url) },
}

func TestConformance(t *testing.T) { broker.RunConformance(t) }

// TestOutage kills a private nats-server during traffic and starts it
// again on the same port.
func TestOutage(t *testing.T) { broker.RunOutage(t) }

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
