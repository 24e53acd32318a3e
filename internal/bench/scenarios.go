package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/eventwire/eventwire/internal/bench/report"
)

// A spec is one case of a scenario: how many clients, what the sender
// sends and to whom, and how it is measured.
type spec struct {
	scenario, name string
	clients        int     // connections, the sender included
	size           int     // payload bytes
	to             string  // all | others | room
	rooms, perRoom int     // rooms: receivers are rooms×perRoom, the sender is in none
	perSec         float64 // paced messages per second; 0: fan-out as fast as it goes
	nodes          int     // server processes (cluster); 0 or 1: one
	idle           bool    // connect, wait, measure memory
	servers        []string
}

// cases lists every case of the scenarios asked for, in the order they run.
func cases(o options) []spec {
	var out []spec
	peersFor := func(ps ...string) []string {
		return slices.DeleteFunc(ps, func(p string) bool { return !slices.Contains(o.servers, p) })
	}
	base := peersFor("eventwire", "eventwire+metrics", "melody", "ws", "socket.io")
	// melody-write differs from melody only in how it sends to all and to
	// all but the sender, so it runs where those are measured.
	toAll := peersFor("eventwire", "eventwire+metrics", "melody", "melody-write", "ws", "socket.io")
	if o.has("fanout") {
		for _, n := range []int{1000, 5000} {
			for _, size := range []int{64, 1024} {
				for _, to := range []string{"others", "all"} {
					out = append(out, spec{scenario: "fanout", clients: n, size: size, to: to, servers: toAll,
						name: fmt.Sprintf("%s clients · %s · %s", thousands(n), bytesName(size), toName(to))})
				}
			}
		}
	}
	if o.has("latency") {
		out = append(out, spec{scenario: "latency", clients: 1000, size: 64, to: "others", perSec: o.pacedRate, servers: toAll,
			name: fmt.Sprintf("1,000 clients · 64 B · all but sender · %g msg/s paced", o.pacedRate)})
	}
	if o.has("idle") {
		out = append(out, spec{scenario: "idle", clients: o.idleClients, idle: true, servers: base,
			name: thousands(o.idleClients) + " idle clients"})
	}
	if o.has("rooms") {
		out = append(out, spec{scenario: "rooms", rooms: 100, perRoom: 50, size: 64, to: "room", servers: base,
			name: "100 rooms × 50 members · 64 B · one room per emit"})
	}
	if o.has("cluster") {
		cl := peersFor("eventwire", "eventwire+recovery", "eventwire+redis", "eventwire+redis+recovery", "eventwire+nats", "eventwire+nats+recovery")
		out = append(out,
			spec{scenario: "cluster", clients: 1000, size: 64, to: "others", nodes: 2, servers: cl,
				name: "1,000 clients on 2 nodes · 64 B · all but sender"},
			spec{scenario: "cluster", clients: 1000, size: 64, to: "others", nodes: 2, perSec: o.pacedRate, servers: cl,
				name: fmt.Sprintf("1,000 clients on 2 nodes · 64 B · all but sender · %g msg/s paced", o.pacedRate)})
	}
	return out
}

func toName(to string) string {
	if to == "others" {
		return "all but sender"
	}
	return to
}

func bytesName(n int) string {
	if n%1024 == 0 {
		return strconv.Itoa(n/1024) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// runRound starts fresh server processes for p, drives them as s says and
// stops them.
func runRound(ctx context.Context, o options, s spec, p peer, round int) (report.Round, error) {
	nodes := 1
	if s.nodes > 1 && p.clustered { // the single-node rows of a cluster case stay single
		nodes = s.nodes
	}
	prefix := fmt.Sprintf("ewbench.%d.%d", time.Now().UnixNano(), round)
	if p.recovery {
		// Recovery's logs are streams the broker keeps (JetStream's on
		// disk): one fixed prefix reuses them run after run. Rounds run one
		// at a time, and a round's first emits start a new session anyway.
		prefix = "ewbench-recovery"
	}
	var procs []*proc
	defer func() {
		for _, pr := range procs {
			pr.stop()
		}
	}()
	for range nodes {
		pr, err := start(p, "BENCH_PREFIX="+prefix)
		if err != nil {
			return report.Round{}, err
		}
		procs = append(procs, pr)
	}
	addrs := make([]string, len(procs))
	for i, pr := range procs {
		addrs[i] = pr.addr
	}
	f := newFleet(p.sio)
	defer f.close()
	if s.idle {
		return idleRound(ctx, o, s, f, procs[0], addrs)
	}
	return loadRound(ctx, o, s, f, procs, addrs)
}

// idleRound measures the server's resident memory per idle connection.
func idleRound(ctx context.Context, o options, s spec, f *fleet, pr *proc, addrs []string) (report.Round, error) {
	time.Sleep(o.settle)
	before, err := pr.rss()
	if err != nil {
		return report.Round{}, err
	}
	if err := f.connect(ctx, addrs, s.clients, nil); err != nil {
		return report.Round{}, err
	}
	time.Sleep(o.settle)
	after, err := pr.rss()
	if err != nil {
		return report.Round{}, err
	}
	if pr.exited() {
		return report.Round{}, fmt.Errorf("%s exited: %s", pr.name, tail(pr.log))
	}
	return report.Round{RSSPerConn: float64(after-before) / float64(s.clients)}, nil
}

// loadRound connects the receivers, then the sender, sends for the warm-up
// and the measured window, and reports deliveries/s, latency and CPU.
func loadRound(ctx context.Context, o options, s spec, f *fleet, procs []*proc, addrs []string) (report.Round, error) {
	l := &load{size: s.size, to: s.to, perSec: s.perSec, window: o.window}
	receivers, room := s.clients-1, func(int) string { return "" }
	switch s.to {
	case "all":
		l.recips = int64(s.clients)
	case "others":
		l.recips = int64(s.clients - 1)
	case "room":
		receivers, l.recips = s.rooms*s.perRoom, int64(s.perRoom)
		room = func(i int) string { return "r" + strconv.Itoa(i/s.perRoom) }
		l.room = func(seq int) string { return "r" + strconv.Itoa(seq%s.rooms) }
	}
	if err := f.connect(ctx, addrs, receivers, room); err != nil {
		return report.Round{}, err
	}
	if err := f.connect(ctx, addrs[:1], 1, nil); err != nil {
		return report.Round{}, err
	}
	l.sender = f.clients[len(f.clients)-1]
	// A server may finish registering a connection after its handshake
	// completed (melody's hub does); a pause keeps that from costing the
	// first message a delivery.
	time.Sleep(250 * time.Millisecond)
	sent := make(chan error, 1)
	go func() { sent <- f.run(l) }()
	time.Sleep(o.warmup)
	d0, t0 := f.delivered.Load(), time.Now()
	c0, err := cpuOf(procs)
	if err != nil {
		return report.Round{}, err
	}
	f.recording.Store(true)
	time.Sleep(o.duration)
	f.recording.Store(false)
	d1, elapsed := f.delivered.Load(), time.Since(t0)
	c1, err := cpuOf(procs)
	if err != nil {
		return report.Round{}, err
	}
	l.stopped.Store(true)
	if err := <-sent; err != nil {
		return report.Round{}, fmt.Errorf("sender: %w", err)
	}
	missing := f.drain(l, 10*time.Second)
	for _, pr := range procs {
		if pr.exited() {
			return report.Round{}, fmt.Errorf("%s exited: %s", pr.name, tail(pr.log))
		}
	}
	lat := f.close()
	n := float64(d1 - d0)
	r := report.Round{
		DeliveriesPerSec: n / elapsed.Seconds(),
		Expected:         l.sent.Load() * l.recips,
	}
	r.Delivered = r.Expected - missing
	if n > 0 {
		r.CPUPer1000 = float64((c1 - c0).Milliseconds()) / (n / 1000)
	}
	r.P50, r.P99, r.P999 = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 0.999)
	return r, nil
}

// percentile is the q-quantile of samples in milliseconds (nearest rank);
// it sorts samples.
func percentile(samples []time.Duration, q float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	i := int(q*float64(len(samples))+0.5) - 1
	i = min(max(i, 0), len(samples)-1)
	return float64(samples[i]) / float64(time.Millisecond)
}
