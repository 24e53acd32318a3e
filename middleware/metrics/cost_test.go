package metrics

import (
	"testing"
	"time"

	"github.com/eventwire/eventwire/middleware"
)

func newCollector(tb testing.TB) observer {
	tb.Helper()
	srv, err := middleware.New(middleware.Schema{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return observer{New(srv)}
}

// TestNoAllocations: once an event has happened, counting it again
// allocates nothing, on the emit path (once per emit, recipients added as a
// count) as on the inbound one. Error codes are counted through the
// vector, which may allocate: errors are not the hot path.
func TestNoAllocations(t *testing.T) {
	o := newCollector(t)
	o.Emitted("/", "news")
	o.Delivered("/", "news", 1000)
	o.EventReceived("/", "say")
	o.EventHandled("/", "say", time.Millisecond)
	for name, f := range map[string]func(){
		"emit":    func() { o.Emitted("/", "news"); o.Delivered("/", "news", 1000) },
		"inbound": func() { o.EventReceived("/", "say"); o.EventHandled("/", "say", time.Millisecond) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
}

// BenchmarkObserver is what the collector adds to one emit (whatever its
// number of recipients) and to one inbound event; compare with
// middleware's BenchmarkBroadcast, the time of one emit to 1,000 sockets.
func BenchmarkObserver(b *testing.B) {
	o := newCollector(b)
	b.Run("emit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o.Emitted("/", "news")
			o.Delivered("/", "news", 1000)
		}
	})
	b.Run("inbound", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			o.EventReceived("/", "say")
			o.EventHandled("/", "say", time.Millisecond)
		}
	})
}
