package middleware

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
)

func recoveryConfig() Config {
	cfg := testConfig()
	cfg.Recovery = true
	return cfg
}

// recoveryHarness serves the test schema with recovery on; OnConnect
// records whether each socket was recovered.
func recoveryHarness(t *testing.T, cfg Config) (*harness, chan bool) {
	t.Helper()
	h := newHarness(t, cfg)
	recovered := make(chan bool, 100)
	h.srv.OnConnect(func(ctx context.Context, c *Conn) error {
		recovered <- c.Recovered()
		h.conns <- c
		return nil
	})
	return h, recovered
}

// session is what a recovering client keeps: its pid and the last offset
// it saw.
type resumable struct {
	sid, pid, offset string
}

// connectWith sends CONNECT with payload and returns the reply's sid and
// pid.
func (h *harness) connectWith(payload string) (*client, *Conn, resumable) {
	h.t.Helper()
	c := h.dial(nil)
	c.send("40" + payload)
	frame := c.read()
	var reply struct {
		SID string `json:"sid"`
		PID string `json:"pid"`
	}
	if !strings.HasPrefix(frame, "40") || json.Unmarshal([]byte(frame[2:]), &reply) != nil || reply.SID == "" || reply.PID == "" {
		h.t.Fatalf("connect reply %q: want a sid and a pid", frame)
	}
	c.id = reply.SID
	select {
	case conn := <-h.conns:
		return c, conn, resumable{sid: reply.SID, pid: reply.PID}
	case <-time.After(5 * time.Second):
		h.t.Fatal("OnConnect not called")
	}
	return nil, nil, resumable{}
}

// resume reconnects with s's pid and offset merged into auth, as
// socket.io-client does.
func (h *harness) resume(s resumable) (*client, *Conn, resumable) {
	h.t.Helper()
	payload := fmt.Sprintf(`{"pid":%q}`, s.pid)
	if s.offset != "" {
		payload = fmt.Sprintf(`{"pid":%q,"offset":%q}`, s.pid, s.offset)
	}
	return h.connectWith(payload)
}

// readLink reads a link event and returns its text and offset, checking
// that the offset is the trailing string argument.
func (c *client) readLink() (text, offset string) {
	c.t.Helper()
	args := c.readEvent("link")
	if len(args) != 2 || json.Unmarshal(args[0], &text) != nil || json.Unmarshal(args[1], &offset) != nil || offset == "" {
		c.t.Fatalf("link with an offset: got args %s", args)
	}
	return text, offset
}

// cut drops c's TCP connection without a close frame, as a network does.
func (c *client) cut() { _ = c.ws.NetConn().Close() }

func wantRecovered(t *testing.T, recovered chan bool, want bool) {
	t.Helper()
	if got := <-recovered; got != want {
		t.Errorf("Conn.Recovered() = %v, want %v", got, want)
	}
}

// TestRecoveryReplaysWhatWasMissed: a client whose transport drops comes
// back with its pid and last offset: same sid and pid, back in its room,
// the events it missed once each and in order (those for its room, not
// those for another), each with its offset, then live ones.
func TestRecoveryReplaysWhatWasMissed(t *testing.T) {
	h, recovered := recoveryHarness(t, recoveryConfig())
	a, conn, s := h.connectWith("")
	wantRecovered(t, recovered, false)
	conn.Join("red")
	name, count := NewRecoverableKey[string]("name"), NewKey[int]("count")
	name.Set(conn, "ann")
	count.Set(conn, 3)
	for i := range 2 {
		if err := h.srv.Broadcast().Emit("link", fmt.Sprint("before ", i)); err != nil {
			t.Fatal(err)
		}
		_, s.offset = a.readLink()
	}
	a.cut()
	if d := h.waitGone(t); d.id != s.sid {
		t.Fatalf("OnDisconnect %+v", d)
	}
	want := []string{"missed 0", "missed 1 (red)", "missed 2"}
	_ = h.srv.Broadcast().Emit("link", want[0])
	_ = h.srv.To("red").Emit("link", want[1])
	_ = h.srv.To("blue").Emit("link", "not for it")
	_ = h.srv.Broadcast().Emit("link", want[2])

	b, conn2, s2 := h.resume(s)
	wantRecovered(t, recovered, true)
	if s2.sid != s.sid || s2.pid != s.pid || conn2.ID() != s.sid || !conn2.Recovered() {
		t.Fatalf("recovered as %+v (Recovered %v), want sid and pid %+v", s2, conn2.Recovered(), s)
	}
	if v, ok := name.Get(conn2); v != "ann" || !ok {
		t.Errorf("recoverable key: %q, %v; want it kept", v, ok)
	}
	if _, ok := count.Get(conn2); ok {
		t.Error("a plain key's value came back: only recoverable keys are kept")
	}
	last := s.offset
	for _, w := range want {
		text, offset := b.readLink()
		if text != w || offset <= last && len(offset) == len(last) {
			t.Errorf("replayed %q at %s, want %q after %s", text, offset, w, last)
		}
		last = offset
	}
	if err := h.srv.To("red").Emit("link", "live"); err != nil {
		t.Fatal(err)
	}
	if text, _ := b.readLink(); text != "live" {
		t.Errorf("after the replay: %q, want the live event (back in room red)", text)
	}
	st := h.srv.Stats()
	if st.RecoveryAttempts != 1 || st.Recovered != 1 || st.FramesReplayed != 3 {
		t.Errorf("Stats %+v", st)
	}
}

// TestRecoveryWithThePidAlone: a client that got no event before its
// transport dropped sends its pid without an offset: it recovers all the
// same, with everything sent since its session began (socket.io cannot).
func TestRecoveryWithThePidAlone(t *testing.T) {
	h, recovered := recoveryHarness(t, recoveryConfig())
	_ = h.srv.Broadcast().Emit("link", "before the session")
	a, _, s := h.connectWith("")
	wantRecovered(t, recovered, false)
	a.cut()
	h.waitGone(t)
	_ = h.srv.Broadcast().Emit("link", "missed")
	b, _, s2 := h.resume(s)
	wantRecovered(t, recovered, true)
	if s2.sid != s.sid {
		t.Errorf("sid %q, want %q", s2.sid, s.sid)
	}
	if text, _ := b.readLink(); text != "missed" {
		t.Errorf("replayed %q, want only what was sent during the session", text)
	}
}

// TestRecoveryRefused: every way a session does not come back ends in a
// fresh one (new sid and pid, nothing replayed, Recovered false), never an
// error, counted by reason.
func TestRecoveryRefused(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*Config)
		missed int
		leave  func(c *client) // how the first connection ends
		pid    func(s resumable) resumable
		reason func(RecoveryFailures) uint64
	}{
		{"unknown pid", nil, 1, (*client).cut, func(s resumable) resumable { s.pid = "forged"; return s }, func(f RecoveryFailures) uint64 { return f.Unknown }},
		{"the client's own disconnect", nil, 1, func(c *client) { c.send("41") }, nil, func(f RecoveryFailures) uint64 { return f.Unknown }},
		{"past the window", func(c *Config) { c.RecoveryMaxDisconnection = 100 * time.Millisecond }, 1,
			func(c *client) { c.cut(); time.Sleep(300 * time.Millisecond) }, nil, func(f RecoveryFailures) uint64 { return f.Expired }},
		{"more than the replay cap", func(c *Config) { c.RecoveryMaxReplay = 2 }, 3, (*client).cut, nil, func(f RecoveryFailures) uint64 { return f.TooMany }},
		{"trimmed from the log", func(c *Config) { c.RecoveryLogFrames = 2 }, 3, (*client).cut, nil, func(f RecoveryFailures) uint64 { return f.Trimmed }},
		{"another process's offset", nil, 1, (*client).cut, func(s resumable) resumable { s.offset = "zzzzzzzz.1"; return s }, func(f RecoveryFailures) uint64 { return f.Offset }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := recoveryConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			h, recovered := recoveryHarness(t, cfg)
			a, _, s := h.connectWith("")
			wantRecovered(t, recovered, false)
			tc.leave(a)
			h.waitGone(t)
			for i := range tc.missed {
				_ = h.srv.Broadcast().Emit("link", fmt.Sprint("missed ", i))
			}
			if tc.pid != nil {
				s = tc.pid(s)
			}
			b, _, s2 := h.resume(s)
			wantRecovered(t, recovered, false)
			if s2.sid == s.sid || s2.pid == s.pid {
				t.Errorf("got sid %q pid %q again: want a fresh session", s2.sid, s2.pid)
			}
			_ = h.srv.Broadcast().Emit("link", "live")
			if text, _ := b.readLink(); text != "live" {
				t.Errorf("first event %q: want nothing replayed", text)
			}
			if st := h.srv.Stats(); st.Recovered != 0 || tc.reason(st.RecoveryFailures) != 1 || st.RecoveryAttempts != 1 {
				t.Errorf("Stats %+v: want one attempt, failed for %s", st, tc.name)
			}
		})
	}
}

// TestRecoveryQuietClient: a client whose last event is long gone from the
// log, trimmed by events for others, recovers: nothing between its offset
// and its drop was for it. What was for it after the drop is replayed; a
// client that had been sent an event it did not read is not recovered
// from a trimmed log.
func TestRecoveryQuietClient(t *testing.T) {
	cfg := recoveryConfig()
	cfg.RecoveryLogFrames = 5
	h, recovered := recoveryHarness(t, cfg)
	quiet, conn, s := h.connectWith("")
	wantRecovered(t, recovered, false)
	conn.Join("quiet")
	_ = h.srv.To("quiet").Emit("link", "for it")
	_, s.offset = quiet.readLink()
	for i := range 20 { // for others: the log trims "for it" and more
		_ = h.srv.To("busy").Emit("link", fmt.Sprint("busy ", i))
	}
	quiet.cut()
	h.waitGone(t)
	_ = h.srv.To("quiet").Emit("link", "while away")
	b, _, s2 := h.resume(s)
	wantRecovered(t, recovered, true)
	if s2.sid != s.sid {
		t.Fatalf("a quiet client got a fresh session %+v", s2)
	}
	if text, _ := b.readLink(); text != "while away" {
		t.Errorf("replayed %q, want the event sent while it was away", text)
	}

	// A client that was sent an event and dropped before reading it
	// (its offset is before that event's) cannot skip the trimmed entries.
	c, conn3, s3 := h.connectWith("")
	wantRecovered(t, recovered, false)
	conn3.Join("quiet2")
	_ = h.srv.To("quiet2").Emit("link", "read")
	_, s3.offset = c.readLink()
	_ = h.srv.To("quiet2").Emit("link", "never read")
	for i := range 20 {
		_ = h.srv.To("busy").Emit("link", fmt.Sprint("busy again ", i))
	}
	c.cut()
	h.waitGone(t)
	_, _, s4 := h.resume(s3)
	wantRecovered(t, recovered, false)
	if s4.sid == s3.sid {
		t.Error("recovered past a trimmed event that was for it")
	}
	if st := h.srv.Stats(); st.RecoveryFailures.Trimmed != 1 {
		t.Errorf("RecoveryFailures %+v, want Trimmed 1", st.RecoveryFailures)
	}
}

// TestRecoveryBroadcastFromAnEndedSocket: a handler still holding the
// socket that dropped broadcasts "to all but the sender" after its client
// recovered on a new socket: the client, the sender, does not get it.
func TestRecoveryBroadcastFromAnEndedSocket(t *testing.T) {
	h, recovered := recoveryHarness(t, recoveryConfig())
	a, old, s := h.connectWith("")
	wantRecovered(t, recovered, false)
	other, _, _ := h.connectWith("")
	wantRecovered(t, recovered, false)
	a.cut()
	h.waitGone(t)
	back, _, _ := h.resume(s)
	wantRecovered(t, recovered, true)
	if err := old.Broadcast().Emit("link", "from the old socket"); err != nil {
		t.Fatal(err)
	}
	_ = h.srv.Broadcast().Emit("link", "to all")
	if text, _ := other.readLink(); text != "from the old socket" {
		t.Errorf("another client got %q first", text)
	}
	if text, _ := back.readLink(); text != "to all" {
		t.Errorf("the sender got %q: its own broadcast came back to its new socket", text)
	}
}

// TestRecoveryTakesOverAHalfOpenSession: the client is back before the
// server saw its old connection die; the old socket is cut and the new
// one has the session, with what was sent in between.
func TestRecoveryTakesOverAHalfOpenSession(t *testing.T) {
	h, recovered := recoveryHarness(t, recoveryConfig())
	a, _, s := h.connectWith("")
	wantRecovered(t, recovered, false)
	_ = h.srv.Broadcast().Emit("link", "seen")
	_, s.offset = a.readLink()
	_ = h.srv.Broadcast().Emit("link", "in flight") // reaches the old, half-open socket only
	b, conn, s2 := h.resume(s)
	wantRecovered(t, recovered, true)
	if s2.sid != s.sid || !conn.Recovered() {
		t.Fatalf("took over as %+v", s2)
	}
	if d := h.waitGone(t); d.id != s.sid || d.reason != engineio.ReasonTransportClose {
		t.Errorf("the old socket ended with %+v", d)
	}
	if text, _ := b.readLink(); text != "in flight" {
		t.Errorf("replayed %q, want the event the old socket took", text)
	}
	if h.srv.Len() != 1 {
		t.Errorf("Len = %d, want the new socket only", h.srv.Len())
	}
}

// TestRecoveryOffsets: events with an ack id and replies carry no offset
// and are not replayed; a direct emit is logged for its socket only; the
// CONNECT payload's pid and offset never reach the auth check.
func TestRecoveryOffsets(t *testing.T) {
	h, recovered := recoveryHarness(t, recoveryConfig())
	a, conn, s := h.connectWith(`{"offset":"x.1"}`) // no pid: a fresh session, the offset stripped
	wantRecovered(t, recovered, false)
	other, _, _ := h.connectWith("")
	wantRecovered(t, recovered, false)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = EmitWithAck[int64](ctx, conn, "count")
	}()
	if frame := a.read(); !strings.HasPrefix(frame, "42") || !strings.HasSuffix(frame, `["count"]`) {
		t.Errorf("an event with an ack id: %q, want no offset", frame)
	}
	if err := conn.Emit("link", "just for a"); err != nil {
		t.Fatal(err)
	}
	_, s.offset = a.readLink()
	a.cut()
	h.waitGone(t)
	_ = conn.Emit("link", "gone") // ErrClosed: a is gone
	if err := h.srv.Broadcast().Emit("link", "for all"); err != nil {
		t.Fatal(err)
	}
	if text, _ := other.readLink(); text != "for all" {
		t.Errorf("other got %q: a direct emit reached another socket", text)
	}
	b, _, _ := h.resume(s)
	wantRecovered(t, recovered, true)
	if text, _ := b.readLink(); text != "for all" {
		t.Errorf("replayed %q", text)
	}
}

// FuzzRecoveryAuth: taking pid and offset out of any CONNECT payload never
// panics; from a JSON object it leaves a JSON object without them and with
// every other member.
func FuzzRecoveryAuth(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"pid":"p","offset":"e.1","token":"t"}`, `{"pid":1}`, `[1]`,
		`{"a":1,"a":2,"pid":"x"}`, `{"pid":"p"`, `{"nested":{"pid":"p"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		rest, pid, _, _ := splitRecoveryAuth(payload)
		var in map[string]json.RawMessage
		if json.Unmarshal(payload, &in) != nil {
			return
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(rest, &out); err != nil {
			t.Fatalf("%q -> %q: %v", payload, rest, err)
		}
		if _, has := out["pid"]; has {
			t.Fatalf("%q -> %q: pid left in", payload, rest)
		}
		if _, has := out["offset"]; has {
			t.Fatalf("%q -> %q: offset left in", payload, rest)
		}
		if len(out) != len(in)-btoi(in["pid"] != nil)-btoi(in["offset"] != nil) {
			t.Fatalf("%q -> %q (pid %q): members lost", payload, rest, pid)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
