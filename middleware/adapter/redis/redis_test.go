package redis_test

import (
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/redis"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

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
