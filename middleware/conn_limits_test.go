package middleware

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"
)

// TestConnectionLimits fills the limits and checks that one more handshake
// gets 503 with Engine.IO's JSON error, that other addresses are not
// affected by the per-address limit, and that closing a connection frees
// its place.
func TestConnectionLimits(t *testing.T) {
	tests := []struct {
		name      string
		total     int
		perIP     int
		fromOther bool // the extra handshake comes from 127.0.0.2
		refused   bool
		message   string
	}{
		{"total limit", 2, 0, false, true, "Too many connections"},
		{"total limit counts every address", 2, 0, true, true, "Too many connections"},
		{"per-address limit", 0, 2, false, true, "Too many connections from this address"},
		{"per-address limit spares other addresses", 0, 2, true, false, ""},
		{"no limits", 0, 0, false, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxConnections, cfg.MaxConnectionsPerIP = tc.total, tc.perIP
			h := newHarness(t, cfg)
			first, _ := h.connect()
			h.connect()
			dialer := websocket.Dialer{}
			if tc.fromOther { // another source address on loopback
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
				dialer.NetDialContext = d.DialContext
			}
			ws, res, err := dialer.Dial(h.wsURL("EIO=4&transport=websocket"), nil)
			if !tc.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				_ = ws.Close()
				return
			}
			if err == nil || res == nil {
				if ws != nil {
					_ = ws.Close()
				}
				t.Fatalf("want an HTTP refusal over the limit, got %v", err)
			}
			var body struct {
				Code    int
				Message string
			}
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusServiceUnavailable || json.Unmarshal(raw, &body) != nil || body.Message != tc.message {
				t.Fatalf("refusal: %d %s", res.StatusCode, raw)
			}
			if h.srv.Stats().ConnectionsRefused != 1 {
				t.Errorf("Stats().ConnectionsRefused = %d, want 1", h.srv.Stats().ConnectionsRefused)
			}
			_ = first.ws.Close()
			h.waitGone(t)
			h.connect() // the place is free again
		})
	}
}
