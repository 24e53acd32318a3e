package adaptertest

import (
	"os"
	"testing"

	"github.com/eventwire/eventwire/middleware"
)

// Service describes a broker an adapter package is tested against: the
// machine's shared one for the conformance suite, a private process for the
// outage test.
type Service struct {
	Name       string                                       // e.g. "Redis"
	EnvURL     string                                       // the variable naming the shared broker's URL
	DefaultURL string                                       // the shared broker's URL without it
	Scheme     string                                       // URL scheme of a private broker, e.g. "redis://"
	Binary     string                                       // the server binary, e.g. "redis-server"
	Args       func(port int) []string                      // its arguments to serve 127.0.0.1:port
	New        func(url string) (middleware.Adapter, error) // the adapter under test
}

// SharedURL is the shared broker's URL.
func (b Service) SharedURL() string {
	if u := os.Getenv(b.EnvURL); u != "" {
		return u
	}
	return b.DefaultURL
}

// Adapters returns a NewAdapter that connects to url.
func (b Service) Adapters(url string) NewAdapter {
	return func(t *testing.T) middleware.Adapter {
		t.Helper()
		a, err := b.New(url)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
}

// RunConformance runs Run against the shared broker (channels of their own
// prefix there); Missing decides when the broker is not there.
func (b Service) RunConformance(t *testing.T) {
	a, err := b.New(b.SharedURL())
	if err != nil {
		Missing(t, b.Name+" at "+b.SharedURL(), err)
	}
	_ = a.Close()
	Run(t, b.Adapters(b.SharedURL()))
}

// RunOutage runs RunOutage against a private broker process it kills during
// traffic and starts again on the same port.
func (b Service) RunOutage(t *testing.T) {
	p := StartProcess(t, b.Binary, b.Args)
	RunOutage(t, p, b.Adapters(b.Scheme+p.Addr()))
}

// RunRecoveryStore runs RunRecoveryStore against a private broker process,
// so the logs and sessions it makes do not stay in the shared one. The
// adapter New makes must be a middleware.RecoveryAdapter.
func (b Service) RunRecoveryStore(t *testing.T) {
	p := StartProcess(t, b.Binary, b.Args)
	RunRecoveryStore(t, b.RecoveryAdapters(b.Scheme+p.Addr()))
}

// RecoveryAdapters returns a NewRecoveryAdapter that connects to url.
func (b Service) RecoveryAdapters(url string) NewRecoveryAdapter {
	return func(t *testing.T) middleware.RecoveryAdapter {
		t.Helper()
		a := b.Adapters(url)(t)
		ra, ok := a.(middleware.RecoveryAdapter)
		if !ok {
			_ = a.Close()
			t.Fatalf("the %s adapter is not a middleware.RecoveryAdapter", b.Name)
		}
		return ra
	}
}

// RunRecovery runs RunRecovery against a private broker process.
func (b Service) RunRecovery(t *testing.T) {
	p := StartProcess(t, b.Binary, b.Args)
	RunRecovery(t, b.Adapters(b.Scheme+p.Addr()))
}
