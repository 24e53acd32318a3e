package middleware

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

// burstReaders is how many clients read a burst, as in issue 19's report.
const burstReaders = 20

// line is the i-th chat line of a burst: about 64 bytes of text.
func line(i int) string { return fmt.Sprintf("line %05d %s", i, strings.Repeat("x", 53)) }

// reader is a client that reads every frame as fast as loopback allows and
// counts the burst's lines, checking their order.
type reader struct {
	ws   *websocket.Conn
	done chan error // nil once every line arrived in order, else why not
}

func startReader(ws *websocket.Conn, lines int) *reader {
	r := &reader{ws: ws, done: make(chan error, 1)}
	go func() {
		next := 0
		for next < lines {
			_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, msg, err := ws.ReadMessage()
			if err != nil {
				r.done <- fmt.Errorf("after %d of %d lines: %w", next, lines, err)
				return
			}
			if !strings.HasPrefix(string(msg), `42["server_back_message",`) {
				continue
			}
			if want := fmt.Sprintf(`{"messageText":%q}`, line(next)); !strings.Contains(string(msg), want) {
				r.done <- fmt.Errorf("line %d: got %s", next, msg)
				return
			}
			next++
		}
		r.done <- nil
	}()
	return r
}

// sendBurst sends lines chat lines from c as fast as the socket takes them.
func sendBurst(t *testing.T, c *client, lines int) {
	t.Helper()
	for i := range lines {
		c.send(fmt.Sprintf(`42["browser_to_message",{"messageText":%q}]`, line(i)))
	}
}

func waitReaders(t *testing.T, readers []*reader) {
	t.Helper()
	for i, r := range readers {
		if err := <-r.done; err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
	}
}

// burstConfig is the configuration of the burst tests: the defaults, the
// rate limit off (an app's own broadcasts are never rate limited).
func burstConfig() Config {
	cfg := testConfig()
	cfg.RateLimit = 0
	return cfg
}

// TestBurstReachesEveryReader: one client sends a burst of chat lines,
// broadcast to 20 clients that keep reading. None is cut, nothing is
// dropped, every line arrives once and in order.
func TestBurstReachesEveryReader(t *testing.T) {
	for _, lines := range []int{1000, 3000} {
		t.Run(fmt.Sprint(lines), func(t *testing.T) {
			h := newHarness(t, burstConfig())
			readers := make([]*reader, burstReaders)
			for i := range readers {
				c, _ := h.connect()
				readers[i] = startReader(c.ws, lines)
			}
			sender, _ := h.connect()
			sendBurst(t, sender, lines)
			waitReaders(t, readers)
			st := h.srv.Stats()
			if st.SlowConsumerDisconnects != 0 || st.FramesDropped != 0 || st.Sockets != burstReaders+1 {
				t.Errorf("Stats %+v: a reader was cut or a frame dropped", st)
			}
			t.Logf("%d lines to %d readers: the largest outbound queue held %d KiB", lines, burstReaders, st.OutboundQueuePeak>>10)
		})
	}
}

// TestBurstAcrossNodes: the same bursts, sent to one node and read on
// another through the cluster, which delivers in batches.
func TestBurstAcrossNodes(t *testing.T) {
	for _, lines := range []int{1000, 3000} {
		t.Run(fmt.Sprint(lines), func(t *testing.T) {
			hub := memory.NewHub()
			var nodes [2]*harness
			for i := range nodes {
				srv, err := New(testSchema(), WithConfig(burstConfig()),
					WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), WithAdapter(hub.Adapter(), AdapterOptions{}))
				if err != nil {
					t.Fatal(err)
				}
				h := &harness{t: t, srv: srv, logs: &logBuffer{}, conns: make(chan *Conn, 100), gone: make(chan disconnect, 100)}
				h.serve()
				h.register()
				nodes[i] = h
			}
			readers := make([]*reader, burstReaders)
			for i := range readers {
				c, _ := nodes[1].connect()
				readers[i] = startReader(c.ws, lines)
			}
			sender, _ := nodes[0].connect()
			sendBurst(t, sender, lines)
			waitReaders(t, readers)
			st := nodes[1].srv.Stats()
			if st.SlowConsumerDisconnects != 0 || st.FramesDropped != 0 || st.Sockets != burstReaders {
				t.Errorf("reading node's Stats %+v: a reader was cut or a frame dropped", st)
			}
			t.Logf("%d lines to %d readers on another node: the largest outbound queue held %d KiB", lines, burstReaders, st.OutboundQueuePeak>>10)
		})
	}
}
