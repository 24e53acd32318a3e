package middleware

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/olahol/melody"

	"github.com/eventwire/eventwire/internal/engineio"
)

// The broadcast benchmarks measure what one typed emit costs the server
// (the generated Broadcaster.EmitServerBackMessage is this Emit call) with
// 1,000 real WebSocket clients. Clients drain their TCP connections without
// allocating, so allocs/recipient is the server's own: encode, recipients
// and, per recipient, the queueing and the write.
//
// The BenchmarkBroadcastMelody pair is the floor on the same clients and
// harness: raw melody, the frame already encoded, sent through its hub
// (Melody.Broadcast, one envelope for all) and through Session.Write per
// recipient (what a room emit, or eventwire, does with melody's API). Their
// ns/recipient side by side with eventwire's is the runtime's own cost.
// Each runs at 1,000 and 5,000 clients: at 5,000 most of the per-connection
// state a send touches is no longer in the CPU's cache.
//
//	go test -run '^$' -bench Broadcast -benchmem ./middleware/

// benchSizes are the client counts every broadcast benchmark runs at.
var benchSizes = []int{1000, 5000}

// forSizes runs bench as a sub-benchmark per client count.
func forSizes(b *testing.B, bench func(b *testing.B, n int)) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) { bench(b, n) })
	}
}

// BenchmarkBroadcast emits to every connected socket.
func BenchmarkBroadcast(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		f := newFanout(b, n)
		f.run(b, emitter(f.srv.Broadcast()), n, func(int) bool { return true })
		f.noDrops(b)
	})
}

// BenchmarkBroadcastRecovery is BenchmarkBroadcast with connection state
// recovery on: each emit also takes the namespace's emit lock, carries its
// offset and is logged (docs/RECOVERY.md).
func BenchmarkBroadcastRecovery(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		f := newFanout(b, n, func(c *Config) { c.Recovery = true })
		f.run(b, emitter(f.srv.Broadcast()), n, func(int) bool { return true })
		f.noDrops(b)
	})
}

// BenchmarkBroadcastUnvalidated is BenchmarkBroadcast with
// Config.ValidateOutbound off: the pair is what checking each emit against
// the schema costs a fan-out (once per emit, not per recipient).
func BenchmarkBroadcastUnvalidated(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		f := newFanout(b, n, func(c *Config) { c.ValidateOutbound = false })
		f.run(b, emitter(f.srv.Broadcast()), n, func(int) bool { return true })
		f.noDrops(b)
	})
}

// BenchmarkBroadcastObserved is BenchmarkBroadcast with an Observer that
// counts: the runtime's side of metrics (reading the event of the frame,
// the calls), which middleware/metrics' BenchmarkObserver completes with
// Prometheus' side.
func BenchmarkBroadcastObserved(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		f := newFanout(b, n)
		var o countingObserver
		f.srv.Observe(&o)
		f.run(b, emitter(f.srv.Broadcast()), n, func(int) bool { return true })
		f.noDrops(b)
		if got := o.delivered.Load(); got < int64(b.N)*int64(n-1) {
			b.Fatalf("observed %d deliveries for %d emits to %d", got, b.N, n)
		}
	})
}

// countingObserver counts what it is told.
type countingObserver struct{ emitted, delivered atomic.Int64 }

func (o *countingObserver) EventReceived(string, string)               {}
func (o *countingObserver) EventFailed(string, string, string)         {}
func (o *countingObserver) EventHandled(string, string, time.Duration) {}
func (o *countingObserver) Emitted(string, string)                     { o.emitted.Add(1) }
func (o *countingObserver) Delivered(_, _ string, n int)               { o.delivered.Add(int64(n)) }

// BenchmarkEmitPrepare is one emit's work before any recipient (look up,
// encode, and with validate=true the outbound check), for the typed chat
// line and for a struct with a nested enum, pattern and array.
func BenchmarkEmitPrepare(b *testing.B) {
	payloads := []struct {
		name, event string
		v           any
	}{
		{"chat_line", "server_back_message", benchMessage},
		{"notice", "notice", notice{Text: "a short notice", Level: "warn", Code: ptr("abc")}},
	}
	for _, p := range payloads {
		for _, validate := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/validate=%v", p.name, validate), func(b *testing.B) {
				cfg := DefaultConfig()
				cfg.ValidateOutbound = validate
				schema := testSchema()
				schema.Events = append(schema.Events, outboundSchema().Events[0])
				srv, err := New(schema, WithConfig(cfg), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
				if err != nil {
					b.Fatal(err)
				}
				defer srv.Close()
				args := []any{p.v}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := srv.prepareTyped(p.event, args); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBroadcastRoom emits to a room holding half of the sockets.
func BenchmarkBroadcastRoom(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		f := newFanout(b, n)
		f.run(b, emitter(f.srv.To("even")), n/2, func(i int) bool { return i%2 == 0 })
		f.noDrops(b)
	})
}

// BenchmarkBroadcastMelodyHub sends the frame eventwire's emit encodes
// through raw melody's hub, as the benchmark command's melody peer does.
func BenchmarkBroadcastMelodyHub(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m, f := newMelodyFanout(b, n)
		frame := benchFrame(b)
		f.run(b, func() error { return m.Broadcast(frame) }, n, func(int) bool { return true })
	})
}

// BenchmarkBroadcastMelodyWrite sends the same frame with one
// Session.Write per recipient.
func BenchmarkBroadcastMelodyWrite(b *testing.B) {
	forSizes(b, func(b *testing.B, n int) {
		m, f := newMelodyFanout(b, n)
		frame := benchFrame(b)
		sessions, err := m.Sessions()
		if err != nil {
			b.Fatal(err)
		}
		f.run(b, func() error { return m.BroadcastMultiple(frame, sessions) }, n, func(int) bool { return true })
	})
}

// emitter is the benchmark's emit through op.
func emitter(op Operator) func() error {
	return func() error { return op.Emit("server_back_message", benchMessage) }
}

var benchMessage = serverBackMessage{MessageText: "a small chat line, about 64 bytes in all"}

// benchFrame is the text frame eventwire sends for benchMessage.
func benchFrame(b *testing.B) []byte {
	b.Helper()
	frame, err := encodeEvent("server_back_message", []any{benchMessage})
	if err != nil {
		b.Fatal(err)
	}
	return frame
}

// newMelodyFanout is raw melody, configured as eventwire configures it
// (MessageBufferSize, write buffer pool and size), with n connected clients.
func newMelodyFanout(b *testing.B, n int) (*melody.Melody, *fanout) {
	b.Helper()
	m := melody.New()
	m.Config.MessageBufferSize = DefaultConfig().OutboundBuffer
	m.Upgrader.WriteBufferPool = new(sync.Pool)
	m.Upgrader.WriteBufferSize = engineio.WriteBufferSize
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = m.HandleRequest(w, r)
	}))
	f := &fanout{got: make([]atomic.Int64, n), conn: make([]net.Conn, n)}
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	for i := range n {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		f.conn[i] = ws.NetConn()
		f.wg.Add(1)
		go f.drain(i)
	}
	b.Cleanup(func() {
		// Clients first: a session still open when the hub exits would
		// wait forever to unregister (melody v1.1.4).
		for _, c := range f.conn {
			_ = c.Close()
		}
		f.wg.Wait()
		for deadline := time.Now().Add(10 * time.Second); m.Len() > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		_ = m.Close()
		ts.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for m.Len() < n { // the hub registers a session after its upgrade
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sessions registered", m.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return m, f
}

// fanout is a server with n connected clients; client i's socket is in room
// "even" when i is even.
type fanout struct {
	srv  *Server
	got  []atomic.Int64 // text frames client i received
	wg   sync.WaitGroup // the drain goroutines
	conn []net.Conn
	sid  map[string]int // socket id -> client
}

func newFanout(b *testing.B, n int, configure ...func(*Config)) *fanout {
	b.Helper()
	cfg := DefaultConfig()
	cfg.PingInterval = time.Hour // no pings to answer: clients only read
	cfg.RateLimit = 0
	cfg.MaxConnections = 0
	for _, c := range configure {
		c(&cfg)
	}
	srv, err := New(testSchema(), WithConfig(cfg), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	f := &fanout{srv: srv, got: make([]atomic.Int64, n), conn: make([]net.Conn, n), sid: make(map[string]int, n)}
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + cfg.Path + "?EIO=4&transport=websocket"
	for i := range n {
		var sid string
		f.conn[i], sid = connectRaw(b, url)
		f.sid[sid] = i
		f.wg.Add(1)
		go f.drain(i)
	}
	b.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
		for _, c := range f.conn {
			_ = c.Close()
		}
		f.wg.Wait()
	})
	f.joinEven(b, n)
	return f
}

// connectRaw completes the Socket.IO CONNECT with gorilla and returns the
// TCP connection, on which nothing more is buffered, and the socket id.
func connectRaw(b *testing.B, url string) (net.Conn, string) {
	b.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, open, err := ws.ReadMessage(); err != nil || open[0] != '0' {
		b.Fatalf("open packet: %q %v", open, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		b.Fatal(err)
	}
	var reply struct {
		SID string `json:"sid"`
	}
	if _, m, err := ws.ReadMessage(); err != nil || !strings.HasPrefix(string(m), "40") ||
		json.Unmarshal(m[2:], &reply) != nil {
		b.Fatalf("connect reply: %q %v", m, err)
	}
	return ws.NetConn(), reply.SID
}

// joinEven puts the sockets of the even clients in room "even".
func (f *fanout) joinEven(b *testing.B, n int) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.srv.Len() < n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sockets connected", f.srv.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
	f.srv.mu.RLock()
	conns := make([]*Conn, 0, n)
	for c := range f.srv.sockets {
		conns = append(conns, c)
	}
	f.srv.mu.RUnlock()
	for _, c := range conns {
		if f.sid[c.ID()]%2 == 0 {
			c.Join("even")
		}
	}
}

// run calls emit b.N times and waits for every delivery; member says which
// clients an emit reaches. No client falls more than window frames behind,
// so OutboundBuffer (256) never overflows.
func (f *fanout) run(b *testing.B, emit func() error, recipients int, member func(i int) bool) {
	const window = 64
	base := make([]int64, len(f.got))
	for i := range f.got {
		base[i] = f.got[i].Load()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 1; n <= b.N; n++ {
		if err := emit(); err != nil {
			b.Fatal(err)
		}
		if n%window == 0 || n == b.N {
			lag := int64(window)
			if n == b.N {
				lag = 0
			}
			f.waitFor(b, base, int64(n)-lag, member)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N) * float64(recipients)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/recipient")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/recipient")
}

// noDrops fails the benchmark when eventwire dropped a frame: its figures
// would be for less work.
func (f *fanout) noDrops(b *testing.B) {
	if d := f.srv.Stats(); d.FramesDropped != 0 || d.SlowConsumerDisconnects != 0 {
		b.Fatalf("frames dropped: %+v", d)
	}
}

// waitFor waits until every member client has received want frames since base.
func (f *fanout) waitFor(b *testing.B, base []int64, want int64, member func(i int) bool) {
	deadline := time.Now().Add(30 * time.Second)
	for i := range f.got {
		for member(i) && f.got[i].Load()-base[i] < want {
			if time.Now().After(deadline) {
				b.Fatalf("client %d got %d of %d frames", i, f.got[i].Load()-base[i], want)
			}
			runtime.Gosched()
		}
	}
}

// drain reads client i's connection until it fails, counting text frames
// (the server's frames are unmasked) without allocating.
func (f *fanout) drain(i int) {
	defer f.wg.Done()
	buf := make([]byte, 64<<10)
	n, skip := 0, 0
	for {
		m, err := f.conn[i].Read(buf[n:])
		if err != nil {
			return
		}
		n += m
		var used, frames int
		used, skip, frames = parseFrames(buf[:n], skip)
		f.got[i].Add(int64(frames))
		n = copy(buf, buf[used:n])
	}
}

// parseFrames walks the WebSocket frames in p, skipping skip payload bytes
// of a frame begun earlier first; it returns the bytes consumed, the
// payload bytes still to skip, and the text frames seen.
func parseFrames(p []byte, skip int) (used, rest, frames int) {
	for {
		d := min(skip, len(p)-used)
		used, skip = used+d, skip-d
		if skip > 0 || len(p)-used < 2 {
			return used, skip, frames
		}
		hdr, size := 2, int(p[used+1]&0x7f)
		switch {
		case size == 126 && len(p)-used >= 4:
			hdr, size = 4, int(binary.BigEndian.Uint16(p[used+2:]))
		case size == 127 && len(p)-used >= 10:
			hdr, size = 10, int(binary.BigEndian.Uint64(p[used+2:]))
		case size >= 126:
			return used, 0, frames // the length is not all here yet
		}
		if p[used]&0x0f == websocket.TextMessage {
			frames++
		}
		used, skip = used+hdr, size
	}
}
