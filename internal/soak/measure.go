package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/eventwire/eventwire/middleware"
)

// The check's limits. Goroutines: a few come and go outside the server's
// control (a time.AfterFunc callback running, the runtime's finalizer
// goroutine), while a leak of one per connection shows as thousands. Heap:
// after two GCs (runtime.GC, then debug.FreeOSMemory) sync.Pools are empty,
// yet HeapInuse still counts whole spans that a few long-lived objects keep
// partly used, so 50% covers fragmentation and 1 MiB covers small
// baselines where 50% is a few hundred KiB; over a 10-minute run (some
// 200,000 connections) a leak of a few dozen bytes per connection exceeds it.
const (
	goroutineSlack = 5
	heapFactor     = 1.5
	heapSlack      = 1 << 20
)

// snapshot is the process once the clients have gone and the heap is collected.
type snapshot struct {
	goroutines           int
	heapInuse, heapAlloc uint64
	stats                middleware.Stats
}

// settle measures once the goroutine count has held still for three polls
// (at most 5s), so goroutines that are ending are not counted.
func settle(s *server) snapshot {
	last, same := -1, 0
	for deadline := time.Now().Add(5 * time.Second); same < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == last {
			same++
		} else {
			last, same = n, 0
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return snapshot{runtime.NumGoroutine(), m.HeapInuse, m.HeapAlloc, s.stats()}
}

// result is a soak's figures: the baseline after the warm-up, the end, and
// what the measured churn did.
type result struct {
	base, end snapshot
	load      *load
	elapsed   time.Duration
}

// soak warms up, takes the baseline, churns for o.duration and measures again.
func soak(o options, out io.Writer) (result, error) {
	srv, err := startServer()
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	fmt.Fprintf(out, "soak: %d clients, warm-up %v, then %v, server %s\n", o.clients, o.warmup, o.duration, srv.url)
	(&load{url: srv.url}).churn(o.warmup, o.clients, 0, nil)
	if err := srv.drain(30 * time.Second); err != nil {
		return result{}, fmt.Errorf("warm-up: %w", err)
	}
	r := result{base: settle(srv), load: &load{url: srv.url}}
	const row = "%8v %10v %10v %6v %9v %9v %10v %6v\n"
	fmt.Fprintf(out, row, "elapsed", "goroutines", "heap KiB", "open", "connects", "sent", "received", "errors")
	start := time.Now()
	r.load.churn(o.duration, o.clients, o.reportEvery, func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		l := r.load
		fmt.Fprintf(out, row, time.Since(start).Round(time.Second), runtime.NumGoroutine(), m.HeapInuse>>10,
			srv.stats().Connections, l.connects.Load(), l.sent.Load(), l.received.Load(), l.fails.Load())
	})
	r.elapsed = time.Since(start)
	if err := srv.drain(30 * time.Second); err != nil {
		return result{}, err
	}
	r.end = settle(srv)
	return r, nil
}

// failures lists what broke the check (none: it passed), and the limits.
func (r result) failures() (fails []string, maxGoroutines int, maxHeap uint64) {
	maxGoroutines = r.base.goroutines + goroutineSlack
	maxHeap = uint64(float64(r.base.heapInuse)*heapFactor) + heapSlack
	if r.end.goroutines > maxGoroutines {
		fails = append(fails, fmt.Sprintf("goroutines %d > limit %d", r.end.goroutines, maxGoroutines))
	}
	if r.end.heapInuse > maxHeap {
		fails = append(fails, fmt.Sprintf("heap in use %d KiB > limit %d KiB", r.end.heapInuse>>10, maxHeap>>10))
	}
	// A client the server sheds as a slow consumer (a CPU-starved one)
	// rarely gets its 1013: the full buffer drops the close frame and the
	// TCP connection is cut after write_timeout, so the client sees a
	// timeout or EOF. Such an error is the server's policy, not a fault;
	// each slow-consumer close explains at most one.
	if n, slow := r.load.fails.Load(), r.slowCloses(); n > slow {
		fails = append(fails, fmt.Sprintf("%d client errors, more than the %d slow-consumer closes explain", n, slow))
	}
	return fails, maxGoroutines, maxHeap
}

func (r result) slowCloses() uint64 {
	return r.end.stats.SlowConsumerDisconnects - r.base.stats.SlowConsumerDisconnects
}

// print writes the table and the verdict; it reports whether the check passed.
func (r result) print(out io.Writer) bool {
	fails, maxG, maxH := r.failures()
	b, e, l := r.base, r.end, r.load
	const row = "%-20s %12v %12v %12v\n"
	fmt.Fprintf(out, "\n"+row, "", "baseline", "end", "limit")
	fmt.Fprintf(out, row, "goroutines", b.goroutines, e.goroutines, maxG)
	fmt.Fprintf(out, row, "heap in use (KiB)", b.heapInuse>>10, e.heapInuse>>10, maxH>>10)
	fmt.Fprintf(out, row, "heap alloc (KiB)", b.heapAlloc>>10, e.heapAlloc>>10, "-")
	fmt.Fprintf(out, row, "server connections", b.stats.Connections, e.stats.Connections, 0)
	fmt.Fprintf(out, "\nin %v: %d connections (%.0f/s), %d lines sent (%d acked), %d events received, %d pings answered\n",
		r.elapsed.Round(time.Second), l.connects.Load(), float64(l.connects.Load())/r.elapsed.Seconds(),
		l.sent.Load(), l.acked.Load(), l.received.Load(), l.pongs.Load())
	fmt.Fprintf(out, "client errors %d; server: frames dropped %d, slow-consumer closes %d, rate limited %d, protocol errors %d\n",
		l.fails.Load(), e.stats.FramesDropped-b.stats.FramesDropped, r.slowCloses(),
		e.stats.RateLimited-b.stats.RateLimited, e.stats.ProtocolErrors-b.stats.ProtocolErrors)
	if l.fails.Load() > 0 {
		fmt.Fprintf(out, "client errors by step %v; the last: %s\n", l.byStep, l.lastErr)
	}
	for _, f := range fails {
		fmt.Fprintln(out, "FAIL:", f)
	}
	if len(fails) == 0 {
		fmt.Fprintln(out, "PASS: goroutines and heap back within their limits, no client error unexplained")
	}
	return len(fails) == 0
}
