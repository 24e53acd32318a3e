package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

// TestRecoveryChaos: clients in random rooms get emits of every kind
// (to all, to rooms, to all but rooms, to all but one, to one) while a TCP
// proxy between them and the server cuts their connections, or turns them
// into silent black holes, at random. Every client recovers every time and
// ends with exactly the sequence of events meant for it. The run is
// seeded; EVENTWIRE_SEED repeats one.
func TestRecoveryChaos(t *testing.T) { recoveryChaos(t, 1) }

// TestClusterRecoveryChaos is TestRecoveryChaos on two nodes joined by the
// in-process hub, the log and sessions in the hub: the proxy sends each
// new connection to the other node (a load balancer), so every recovery
// moves the client, and half-open connections are taken over across nodes.
func TestClusterRecoveryChaos(t *testing.T) { recoveryChaos(t, 2) }

func recoveryChaos(t *testing.T, nodes int) {
	seed := uint64(time.Now().UnixNano() % 1_000_000)
	if s, err := strconv.ParseUint(os.Getenv("EVENTWIRE_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (EVENTWIRE_SEED=%d repeats this run)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	cfg := recoveryConfig()
	cfg.PingInterval, cfg.PingTimeout = 200*time.Millisecond, 200*time.Millisecond
	cfg.RecoveryMaxReplay = 10000
	var mu sync.Mutex
	conns := make(map[string]*Conn) // sid -> its latest socket
	hub := memory.NewHub()
	var servers []*Server
	var targets []string
	for range nodes {
		opts := []Option{WithConfig(cfg), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
		if nodes > 1 {
			opts = append(opts, WithAdapter(hub.Adapter(), AdapterOptions{Heartbeat: 200 * time.Millisecond}))
		}
		srv, err := New(testSchema(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		srv.OnConnect(func(ctx context.Context, c *Conn) error {
			mu.Lock()
			defer mu.Unlock()
			conns[c.ID()] = c
			return nil
		})
		ts := httptest.NewServer(srv)
		defer func() {
			_ = srv.Close()
			ts.Close()
		}()
		servers, targets = append(servers, srv), append(targets, ts.Listener.Addr().String())
	}
	srv := servers[0] // the operators' emits are made here; a socket's own on its node
	proxy := newChaosProxy(t, targets...)
	defer proxy.close()
	// In a cluster, emits of two nodes are in the order they reach the log:
	// each emit waits until node 0 delivered it, so the log's order is the
	// model's.
	logged := func() uint64 {
		if nodes == 1 {
			return 0
		}
		r := srv.rec
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.shared.delivered
	}

	const clients, emits, faults = 8, 400, 24
	rooms := []string{"r0", "r1", "r2"}
	url := "ws://" + proxy.addr() + cfg.Path + "?EIO=4&transport=websocket"
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	cl := make([]*chaosClient, clients)
	for i := range cl {
		cl[i] = &chaosClient{url: url, ready: make(chan struct{})}
		wg.Add(1)
		go func() { defer wg.Done(); cl[i].run(ctx) }()
		<-cl[i].ready
	}
	// Each client's rooms, and the events the model says each must get.
	member := make([]map[string]struct{}, clients)
	latest := func(sid string) *Conn { // OnConnect runs just after the client has its reply
		for {
			mu.Lock()
			conn := conns[sid]
			mu.Unlock()
			if conn != nil {
				return conn
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i, c := range cl {
		member[i] = map[string]struct{}{}
		conn := latest(c.sessionID())
		for _, r := range rooms {
			if rng.IntN(2) == 0 {
				conn.Join(r)
				member[i][r] = struct{}{}
			}
		}
	}
	want := make([][]string, clients)
	in := func(i int, rs ...string) bool {
		return slices.ContainsFunc(rs, func(r string) bool { _, ok := member[i][r]; return ok })
	}

	// The network's faults, at random moments, from their own generator:
	// the emits' draws stay the seed's whatever the scheduling.
	chaosDone := make(chan struct{})
	broke := map[string]int{}
	chaos := rand.New(rand.NewPCG(seed, seed+1))
	go func() {
		defer close(chaosDone)
		for range faults {
			time.Sleep(time.Duration(5+chaos.IntN(40)) * time.Millisecond)
			broke[proxy.fault(chaos)]++
		}
	}()
	for k := range emits {
		before := logged()
		text := fmt.Sprint("e", k)
		room := rooms[rng.IntN(len(rooms))]
		target := rng.IntN(clients)
		reaches := func(i int) bool { return true }
		appended := true // to the log, in a cluster
		var err error
		switch kind := rng.IntN(5); kind {
		case 0:
			err = srv.Broadcast().Emit("link", text)
		case 1:
			err = srv.To(room).Emit("link", text)
			reaches = func(i int) bool { return in(i, room) }
		case 2:
			err = srv.Except(room).Emit("link", text)
			reaches = func(i int) bool { return !in(i, room) }
		case 3, 4:
			conn := latest(cl[target].sessionID())
			if kind == 3 {
				err = conn.Broadcast().Emit("link", text)
				reaches = func(i int) bool { return i != target }
			} else if err = conn.Emit("link", text); errors.Is(err, ErrClosed) {
				err, reaches, appended = nil, func(int) bool { return false }, false // it was away: not sent, not logged
			} else {
				reaches = func(i int) bool { return i == target }
			}
		}
		if err != nil {
			t.Fatalf("emit %d: %v", k, err)
		}
		for i := range cl {
			if reaches(i) {
				want[i] = append(want[i], text)
			}
		}
		for nodes > 1 && appended && logged() == before {
			time.Sleep(50 * time.Microsecond)
		}
		if k%20 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	<-chaosDone
	deadline := time.Now().Add(20 * time.Second)
	for i, c := range cl {
		for !slices.Equal(c.events(), want[i]) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop()
	proxy.close()
	wg.Wait()
	var st Stats
	for _, n := range servers {
		ns := n.Stats()
		st.Recovered += ns.Recovered
		st.RecoveryAttempts += ns.RecoveryAttempts
		st.FramesReplayed += ns.FramesReplayed
		st.RecoveryFailures.Unknown += ns.RecoveryFailures.Unknown
		st.RecoveryFailures.Expired += ns.RecoveryFailures.Expired
		st.RecoveryFailures.Offset += ns.RecoveryFailures.Offset
		st.RecoveryFailures.Trimmed += ns.RecoveryFailures.Trimmed
		st.RecoveryFailures.TooMany += ns.RecoveryFailures.TooMany
		st.RecoveryFailures.Store += ns.RecoveryFailures.Store
	}
	t.Logf("faults: %d cuts, %d black holes (%d found nothing to break); %d recoveries, %d events replayed",
		broke["cut"], broke["hole"], broke[""], st.Recovered, st.FramesReplayed)
	for i, c := range cl {
		if got := c.events(); !slices.Equal(got, want[i]) {
			t.Errorf("client %d (rooms %v): got %d events, want %d\n got %v\nwant %v", i, member[i], len(got), len(want[i]), got, want[i])
		}
		if c.fresh.Load() {
			t.Errorf("client %d got a fresh session: a recovery failed", i)
		}
	}
	if st.RecoveryFailures != (RecoveryFailures{}) || st.Recovered != st.RecoveryAttempts || st.Recovered == 0 {
		t.Errorf("Stats %+v: every reconnect must recover", st)
	}
}

// chaosClient is a raw Socket.IO client that recovers as socket.io-client
// does: it answers pings, keeps its pid and last offset, and on any
// failure, or silence longer than the heartbeat, reconnects with them.
type chaosClient struct {
	url   string
	ready chan struct{} // closed once the first session is up

	mu          sync.Mutex
	sid, pid    string
	offset      string
	got         []string
	fresh       atomic.Bool // a reconnect that did not recover
	readyClosed bool
}

func (c *chaosClient) sessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sid
}

func (c *chaosClient) events() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func (c *chaosClient) run(ctx context.Context) {
	for ctx.Err() == nil {
		c.session(ctx)
		time.Sleep(10 * time.Millisecond)
	}
}

// session connects, or recovers, and reads until the connection fails.
func (c *chaosClient) session(ctx context.Context) {
	// A fault may turn the connection into a black hole during the
	// handshake: give up on it as on a silent session.
	dialer := websocket.Dialer{HandshakeTimeout: 600 * time.Millisecond}
	ws, _, err := dialer.DialContext(ctx, c.url, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	go func() { <-ctx.Done(); _ = ws.Close() }()
	read := func() (string, error) {
		_ = ws.SetReadDeadline(time.Now().Add(600 * time.Millisecond)) // three ping intervals
		_, msg, err := ws.ReadMessage()
		return string(msg), err
	}
	if _, err := read(); err != nil { // the open packet
		return
	}
	c.mu.Lock()
	connect := "40"
	if c.pid != "" {
		resume := map[string]string{"pid": c.pid}
		if c.offset != "" {
			resume["offset"] = c.offset
		}
		auth, _ := json.Marshal(resume)
		connect += string(auth)
	}
	c.mu.Unlock()
	if ws.WriteMessage(websocket.TextMessage, []byte(connect)) != nil {
		return
	}
	for {
		msg, err := read()
		if err != nil {
			return
		}
		switch {
		case msg == "2":
			if ws.WriteMessage(websocket.TextMessage, []byte("3")) != nil {
				return
			}
		case strings.HasPrefix(msg, "40"):
			var reply struct{ SID, PID string }
			_ = json.Unmarshal([]byte(msg[2:]), &reply)
			c.mu.Lock()
			if c.pid != "" && reply.PID != c.pid {
				c.fresh.Store(true)
			}
			c.sid, c.pid = reply.SID, reply.PID
			if !c.readyClosed {
				c.readyClosed = true
				close(c.ready)
			}
			c.mu.Unlock()
		case strings.HasPrefix(msg, `42["link",`):
			var args []string // the name, the text, the offset
			if json.Unmarshal([]byte(msg[2:]), &args) == nil && len(args) == 3 {
				c.mu.Lock()
				c.got, c.offset = append(c.got, args[1]), args[2]
				c.mu.Unlock()
			}
		}
	}
}

// chaosProxy forwards TCP connections to target and breaks them on
// demand: cut resets both sides; a black hole keeps both open and passes
// nothing, as a dead network path does.
type chaosProxy struct {
	ln      net.Listener
	targets []string // each new connection goes to the next (a load balancer)
	next    int      // accept's only

	mu    sync.Mutex
	pairs []*chaosPair
	wg    sync.WaitGroup
}

type chaosPair struct {
	client, upstream net.Conn
	hole             atomic.Bool
	broken           bool // cut or made a hole; guarded by chaosProxy.mu
}

func newChaosProxy(t *testing.T, targets ...string) *chaosProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &chaosProxy{ln: ln, targets: targets}
	p.wg.Add(1)
	go p.accept()
	return p
}

func (p *chaosProxy) addr() string { return p.ln.Addr().String() }

func (p *chaosProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.targets[p.next%len(p.targets)])
		p.next++
		if err != nil {
			_ = c.Close()
			continue
		}
		pair := &chaosPair{client: c, upstream: u}
		p.mu.Lock()
		p.pairs = append(p.pairs, pair)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(pair, c, u)
		go p.pipe(pair, u, c)
	}
}

// pipe copies from to to until either fails; in a black hole it reads and
// drops, and leaves the other side open.
func (p *chaosProxy) pipe(pair *chaosPair, from, to net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if err != nil {
			if !pair.hole.Load() {
				_ = to.Close()
			}
			return
		}
		if !pair.hole.Load() {
			if _, err := to.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// fault breaks a pair not broken yet, at random: a reset, or (one time in
// three) a black hole. It reports which, "" when there was none to break.
func (p *chaosProxy) fault(rng *rand.Rand) string {
	p.mu.Lock()
	var live []*chaosPair
	for _, pair := range p.pairs {
		if !pair.broken {
			live = append(live, pair)
		}
	}
	if len(live) == 0 {
		p.mu.Unlock()
		return ""
	}
	pair := live[rng.IntN(len(live))]
	pair.broken = true
	p.mu.Unlock()
	if rng.IntN(3) == 0 {
		pair.hole.Store(true)
		return "hole"
	}
	if tc, ok := pair.client.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, not a close
	}
	_ = pair.client.Close()
	_ = pair.upstream.Close()
	return "cut"
}

func (p *chaosProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, pair := range p.pairs {
		_ = pair.client.Close()
		_ = pair.upstream.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
