package redis_test

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/redis"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sharedURL is the machine's Redis (EVENTWIRE_REDIS_URL, or the default);
// the suite uses channels of its own prefix there.
func sharedURL() string {
	if u := os.Getenv("EVENTWIRE_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379"
}

func newAdapter(url string) adaptertest.NewAdapter {
	return func(t *testing.T) middleware.Adapter {
		t.Helper()
		a, err := redis.New(url)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

func TestConformance(t *testing.T) {
	a, err := redis.New(sharedURL())
	if err != nil {
		adaptertest.Missing(t, "Redis at "+sharedURL(), err)
	}
	_ = a.Close()
	adaptertest.Run(t, newAdapter(sharedURL()))
}

// TestOutage kills a private redis-server during traffic and starts it
// again on the same port.
func TestOutage(t *testing.T) {
	p := adaptertest.StartProcess(t, "redis-server", func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	})
	adaptertest.RunOutage(t, p, newAdapter("redis://"+p.Addr()))
}

func TestNewRefusesABadURL(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:1"} {
		if a, err := redis.New(url); err == nil {
			_ = a.Close()
			t.Errorf("New(%q) succeeded", url)
		}
	}
}
