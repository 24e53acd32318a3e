package middleware

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHandshake: Conn.Handshake tells what the client sent to connect
// (TestHandshakeInAuthorize: from Authorize on): the CONNECT payload as sent (also without an auth
// schema, and without recovery's pid and offset), the query, the headers,
// the address, the time and the URL.
func TestHandshake(t *testing.T) {
	tests := []struct {
		name     string
		recovery bool
		connect  string
		wantAuth string
	}{
		{"no payload", false, "40", ""},
		{"a payload the schema does not declare", false, `40{"token":"abc","n":[1, 2]}`, `{"token":"abc","n":[1, 2]}`},
		{"recovery's pid and offset left out", true, `40{"pid":"p1","token":"abc","offset":"x.1"}`, `{"token":"abc"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Recovery = tc.recovery
			h := newHarness(t, cfg)
			before := time.Now()
			c := h.dial(http.Header{"X-Request-Id": {"req-7"}})
			c.send(tc.connect)
			if got := c.read(); !strings.HasPrefix(got, "40{") {
				t.Fatalf("connect reply %q", got)
			}
			conn := <-h.conns
			hs := conn.Handshake()
			if string(hs.Auth) != tc.wantAuth {
				t.Errorf("Auth = %q, want %q", hs.Auth, tc.wantAuth)
			}
			if tc.wantAuth == "" && hs.Auth != nil {
				t.Errorf("Auth = %q for a CONNECT without payload, want nil", hs.Auth)
			}
			if hs.Query.Get("EIO") != "4" || hs.Query.Get("transport") != "websocket" {
				t.Errorf("Query = %v", hs.Query)
			}
			if hs.Headers.Get("X-Request-Id") != "req-7" {
				t.Errorf("Headers = %v", hs.Headers)
			}
			if !strings.HasPrefix(hs.Address, "127.0.0.1:") {
				t.Errorf("Address = %q", hs.Address)
			}
			if hs.Time.Before(before) || hs.Time.After(time.Now()) {
				t.Errorf("Time = %v, not between the dial and now", hs.Time)
			}
			if !strings.HasPrefix(hs.URL, "/socket.io/?") || !strings.Contains(hs.URL, "EIO=4") || hs.Secure {
				t.Errorf("URL = %q, Secure = %v", hs.URL, hs.Secure)
			}
		})
	}
}

// TestHandshakeInAuthorize: Authorize sees the Handshake, its Auth the
// payload as sent, before any check of it.
func TestHandshakeInAuthorize(t *testing.T) {
	h, admin := newNSHarness(t)
	seen := make(chan Handshake, 1)
	if err := Authorize(admin, func(ctx context.Context, c *Conn, a adminAuth) error {
		seen <- c.Handshake()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c, _ := h.connect()
	h.connectAdmin(c, `{"token":"secret"}`)
	if hs := <-seen; string(hs.Auth) != `{"token":"secret"}` || hs.Time.IsZero() {
		t.Errorf("Handshake in Authorize: Auth %q, Time %v", hs.Auth, hs.Time)
	}
}
