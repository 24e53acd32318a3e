package middleware

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkRecoveryLog reports what the recovery log holds per logged
// event: an emit of a 64-byte chat line to a namespace without sockets,
// so the log alone keeps the frame.
//
//	go test -run '^$' -bench RecoveryLog -benchmem ./middleware/
func BenchmarkRecoveryLog(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Recovery = true
	cfg.RecoveryLogFrames = b.N + 1 // nothing trimmed: every frame stays
	cfg.RecoveryLogBytes = 1 << 40
	srv, err := New(testSchema(), WithConfig(cfg))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	line := strings.Repeat("x", 64)
	before := liveHeap()
	b.ResetTimer()
	for range b.N {
		if err := srv.Broadcast().Emit("link", line); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(liveHeap()-before)/float64(b.N), "heap-B/logged")
	frame := fmt.Sprintf(`42["link",%q]`, line)
	b.ReportMetric(float64(len(srv.rec.log.Offset(srv.rec.log.Top()))+3), "wire-B/offset")
	b.ReportMetric(float64(len(frame)), "wire-B/frame-without")
}

// BenchmarkReplay200 measures a recovery that replays 200 events: from the
// CONNECT with pid and offset to the 200th event read by the client, over
// a real WebSocket. Setting up each round (a dropped connection, 200 emits
// while it is away) is not timed.
func BenchmarkReplay200(b *testing.B) {
	cfg := testConfig()
	cfg.Recovery = true
	cfg.RecoveryMaxReplay = 200
	h := newHarness(&testing.T{}, cfg) // a bare T: the harness's cleanups run below
	defer func() {
		_ = h.srv.Close()
		h.ts.Close()
	}()
	url := h.wsURL("EIO=4&transport=websocket")
	dial := func(payload string) (*websocket.Conn, string, string) {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			b.Fatal(err)
		}
		_, _, _ = ws.ReadMessage() // open packet
		_ = ws.WriteMessage(websocket.TextMessage, []byte("40"+payload))
		_, reply, err := ws.ReadMessage()
		var r struct{ SID, PID string }
		if err != nil || json.Unmarshal(reply[2:], &r) != nil {
			b.Fatalf("connect reply %q %v", reply, err)
		}
		<-h.conns
		return ws, r.SID, r.PID
	}
	ws, _, pid := dial("")
	offset := ""
	line := strings.Repeat("x", 64)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		_ = ws.NetConn().Close()
		<-h.gone // the server saw it go
		for range 200 {
			if err := h.srv.Broadcast().Emit("link", line); err != nil {
				b.Fatal(err)
			}
		}
		resume := fmt.Sprintf(`{"pid":%q}`, pid)
		if offset != "" {
			resume = fmt.Sprintf(`{"pid":%q,"offset":%q}`, pid, offset)
		}
		b.StartTimer()
		ws, _, _ = dial(resume)
		for i := range 200 {
			_, msg, err := ws.ReadMessage()
			if err != nil {
				b.Fatalf("replayed event %d: %v", i, err)
			}
			var args []json.RawMessage
			if i == 199 && json.Unmarshal(msg[2:], &args) == nil {
				_ = json.Unmarshal(args[len(args)-1], &offset)
			}
		}
	}
	b.StopTimer()
	if st := h.srv.Stats(); st.Recovered != uint64(b.N) {
		b.Fatalf("Stats %+v: %d rounds, not all recovered", st, b.N)
	}
	runtime.KeepAlive(ws)
}
