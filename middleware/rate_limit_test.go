package middleware

import (
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name   string
		limit  float64
		burst  int
		rates  map[string]Rate
		frames []string // sent back to back
		want   []string // substrings of the frames read back, in order
	}{
		{"within the burst", 1, 3, nil,
			[]string{`42["echo","a"]`, `42["echo","b"]`, `42["echo","c"]`},
			[]string{`42["echo","a"]`, `42["echo","b"]`, `42["echo","c"]`}},
		{"over the burst, without ack", 1, 2, nil,
			[]string{`42["echo","a"]`, `42["echo","b"]`, `42["echo","c"]`},
			[]string{`42["echo","a"]`, `42["echo","b"]`, `42["eventwire:error",{"event":"echo","code":"rate_limited"`}},
		{"over the burst, with ack", 1, 1, nil,
			[]string{`42["echo","a"]`, `427["nudge"]`},
			[]string{`42["echo","a"]`, `437[{"error":{"code":"rate_limited","message":"too many events; slow down"}}]`}},
		{"per-event bucket", 0, 0, map[string]Rate{"echo": {PerSecond: 0.001, Burst: 1}},
			[]string{`42["echo","a"]`, `42["echo","b"]`, `421["nudge"]`},
			[]string{`42["echo","a"]`, `"code":"rate_limited"`, `431[{"data":null}]`}},
		{"per-event refusal leaves the connection budget", 1, 2, map[string]Rate{"echo": {PerSecond: 0.001, Burst: 1}},
			[]string{`42["echo","a"]`, `42["echo","b"]`, `421["nudge"]`},
			[]string{`42["echo","a"]`, `"code":"rate_limited"`, `431[{"data":null}]`}},
		{"off", 0, 0, nil,
			[]string{`42["echo","a"]`, `42["echo","b"]`, `42["echo","c"]`, `42["echo","d"]`},
			[]string{`42["echo","a"]`, `42["echo","b"]`, `42["echo","c"]`, `42["echo","d"]`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.RateLimit, cfg.RateBurst, cfg.RateLimits = tc.limit, tc.burst, tc.rates
			h := newHarness(t, cfg)
			c, _ := h.connect()
			for _, f := range tc.frames {
				c.send(f)
			}
			for _, w := range tc.want {
				if got := c.read(); !strings.Contains(got, w) {
					t.Fatalf("got %s, want %s in it", got, w)
				}
			}
			if n := h.srv.Stats().RateLimited; (n > 0) != strings.Contains(strings.Join(tc.want, ""), "rate_limited") {
				t.Errorf("Stats().RateLimited = %d", n)
			}
		})
	}
}

// TestFloodIsClosedOthersUnaffected floods from one connection while
// another chats: the flooder is refused, then closed with 1008; the other
// gets every one of its echoes.
func TestFloodIsClosedOthersUnaffected(t *testing.T) {
	cfg := testConfig()
	cfg.RateLimit, cfg.RateBurst = 5, 10
	h := newHarness(t, cfg)
	flooder, _ := h.connect()
	chatter, _ := h.connect()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // drains the flooder's replies until the close
		defer wg.Done()
		for {
			if _, _, err := flooder.ws.ReadMessage(); err != nil {
				if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
					t.Errorf("flooder: %v, want close 1008", err)
				}
				return
			}
		}
	}()
	for range 1000 {
		if flooder.ws.WriteMessage(websocket.TextMessage, []byte(`42["nudge"]`)) != nil {
			break // closed
		}
	}
	wg.Wait()
	for i := range 5 { // within the chatter's own budget
		want := `42["echo","hi` + string(rune('0'+i)) + `"]`
		chatter.send(want)
		if got := chatter.read(); got != want {
			t.Fatalf("chatter got %s, want %s", got, want)
		}
	}
	if d := h.waitGone(t); d.reason != reasonRateLimited {
		t.Errorf("flooder's OnDisconnect reason %q, want %q", d.reason, reasonRateLimited)
	}
	if st := h.srv.Stats(); st.RateLimited < 10 {
		t.Errorf("Stats().RateLimited = %d, want at least a burst of refusals", st.RateLimited)
	}
	if !strings.Contains(h.logs.String(), "rate limit exceeded, connection closed") {
		t.Error("the close was not logged")
	}
}

func TestRateLimitConfigErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"negative rate":     func(c *Config) { c.RateLimit = -1 },
		"no burst":          func(c *Config) { c.RateBurst = 0 },
		"unknown event":     func(c *Config) { c.RateLimits = map[string]Rate{"nope": {PerSecond: 1, Burst: 1}} },
		"server-only event": func(c *Config) { c.RateLimits = map[string]Rate{"link": {PerSecond: 1, Burst: 1}} },
		"zero per-second":   func(c *Config) { c.RateLimits = map[string]Rate{"echo": {Burst: 1}} },
	} {
		cfg := testConfig()
		mutate(&cfg)
		if _, err := New(testSchema(), WithConfig(cfg)); err == nil || !strings.HasPrefix(err.Error(), "eventwire: ") {
			t.Errorf("%s: New = %v, want an eventwire error", name, err)
		}
	}
}
