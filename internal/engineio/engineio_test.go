package engineio

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a Handler that records what the layer above would see, and
// echoes every message packet back with Send.
type recorder struct {
	mu     sync.Mutex
	events []string
	closed chan string
}

type slot struct{ opened bool }

func (r *recorder) add(ev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) Open(s *Session[slot]) { s.Data.opened = true; r.add("open") }

func (r *recorder) Text(s *Session[slot], data []byte) {
	r.add("text " + string(data))
	if string(data) == "bin" { // a header and two attachments, queued as one
		_ = s.Send(Packet{Text: []byte("4hdr"), Atts: [][]byte{{1}, {2}}})
		return
	}
	_ = s.Send(Text(append([]byte("4echo:"), data...)))
}

func (r *recorder) Binary(s *Session[slot], data []byte) { r.add("binary " + string(data)) }

func (r *recorder) Closing(s *Session[slot]) { r.add("closing") }

func (r *recorder) Closed(s *Session[slot], reason string) {
	if !s.Data.opened {
		reason = "closed before Open"
	}
	r.closed <- reason
}

func newTestServer(t *testing.T, cfg Config) (*recorder, *Server[slot], string) {
	t.Helper()
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.PingInterval == 0 {
		cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute
	}
	cfg.MaxPayload, cfg.WriteTimeout, cfg.OutboundBuffer = 1<<20, 2*time.Second, 16
	rec := &recorder{closed: make(chan string, 1)}
	srv := New(cfg, Handler[slot](rec))
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Cut()
		srv.Shutdown()
		ts.Close()
	})
	return rec, srv, "ws" + strings.TrimPrefix(ts.URL, "http") + "/?EIO=4&transport=websocket"
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ws.Close() })
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	return ws
}

func read(t *testing.T, ws *websocket.Conn) (int, string) {
	t.Helper()
	typ, msg, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, string(msg)
}

func waitClosed(t *testing.T, rec *recorder) string {
	t.Helper()
	select {
	case reason := <-rec.closed:
		return reason
	case <-time.After(5 * time.Second):
		t.Fatal("the session never ended")
		return ""
	}
}

// TestSessionLife: the open packet, message packets to Text and back
// through Send (attachments right behind their header), binary frames to
// Binary, probes answered here, and a client's close packet ending the
// session through Closing and Closed.
func TestSessionLife(t *testing.T) {
	rec, srv, url := newTestServer(t, Config{})
	ws := dial(t, url)
	_, open := read(t, ws)
	var hs struct {
		SID          string   `json:"sid"`
		Upgrades     []string `json:"upgrades"`
		PingInterval int64    `json:"pingInterval"`
		MaxPayload   int64    `json:"maxPayload"`
	}
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &hs) != nil ||
		len(hs.SID) != 20 || hs.Upgrades == nil || hs.PingInterval != 60000 || hs.MaxPayload != 1<<20 {
		t.Fatalf("open packet %q", open)
	}
	send := func(typ int, msg string) {
		if err := ws.WriteMessage(typ, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	send(websocket.TextMessage, "4hello")
	if _, got := read(t, ws); got != "4echo:hello" {
		t.Errorf("echo %q", got)
	}
	send(websocket.TextMessage, "2probe")
	if _, got := read(t, ws); got != "3probe" {
		t.Errorf("probe answered %q", got)
	}
	send(websocket.TextMessage, "4bin")
	for _, want := range []string{"4hdr", "\x01", "\x02"} {
		if _, got := read(t, ws); got != want {
			t.Errorf("frame %q, want %q", got, want)
		}
	}
	send(websocket.BinaryMessage, "raw")
	if st := srv.Stats(); st.Connections != 1 {
		t.Errorf("Stats.Connections = %d", st.Connections)
	}
	send(websocket.TextMessage, "1")
	if reason := waitClosed(t, rec); reason != ReasonTransportClose {
		t.Errorf("reason %q", reason)
	}
	want := []string{"open", "text hello", "text bin", "binary raw", "closing"}
	if got := rec.seen(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("handler saw %q, want %q", got, want)
	}
}

// TestHeartbeat: a client that never answers a ping is closed with reason
// "ping timeout".
func TestHeartbeat(t *testing.T) {
	rec, _, url := newTestServer(t, Config{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	ws := dial(t, url)
	read(t, ws) // open
	if _, ping := read(t, ws); ping != "2" {
		t.Fatalf("ping %q", ping)
	}
	if reason := waitClosed(t, rec); reason != ReasonPingTimeout {
		t.Errorf("reason %q, want %q", reason, ReasonPingTimeout)
	}
}

// TestBrokenFrames: a frame that breaks Engine.IO closes the session with
// its code, counted once, and never reaches the Handler.
func TestBrokenFrames(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		code  int
	}{
		{"empty", "", websocket.CloseProtocolError},
		{"unknown type", "9", websocket.CloseProtocolError},
		{"invalid UTF-8", "4\xff", websocket.CloseInvalidFramePayloadData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, srv, url := newTestServer(t, Config{})
			ws := dial(t, url)
			read(t, ws) // open
			if err := ws.WriteMessage(websocket.TextMessage, []byte(tc.frame)); err != nil {
				t.Fatal(err)
			}
			_, _, err := ws.ReadMessage()
			if !websocket.IsCloseError(err, tc.code) {
				t.Errorf("read %v, want close %d", err, tc.code)
			}
			if reason := waitClosed(t, rec); reason != ReasonParseError {
				t.Errorf("reason %q", reason)
			}
			if got := rec.seen(); len(got) != 2 || got[1] != "closing" {
				t.Errorf("handler saw %q", got)
			}
			if st := srv.Stats(); st.ProtocolErrors != 1 {
				t.Errorf("ProtocolErrors = %d", st.ProtocolErrors)
			}
		})
	}
}
