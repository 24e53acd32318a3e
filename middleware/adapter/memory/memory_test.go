package memory_test

import (
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/adaptertest"
	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	hub := memory.NewHub()
	adaptertest.Run(t, func(*testing.T) middleware.Adapter { return hub.Adapter() })
}

// hubBroker stops and starts a Hub as the outage test stops a broker.
type hubBroker struct{ hub *memory.Hub }

func (b hubBroker) Stop(*testing.T)  { b.hub.SetDown(errors.New("memory hub: down")) }
func (b hubBroker) Start(*testing.T) { b.hub.SetDown(nil) }

func TestOutage(t *testing.T) {
	hub := memory.NewHub()
	adaptertest.RunOutage(t, hubBroker{hub}, func(*testing.T) middleware.Adapter { return hub.Adapter() })
}

func TestRecoveryStore(t *testing.T) {
	hub := memory.NewHub()
	adaptertest.RunRecoveryStore(t, func(*testing.T) middleware.RecoveryAdapter { return hub.Adapter() })
}

var _ middleware.RecoveryAdapter = (*memory.Adapter)(nil)
