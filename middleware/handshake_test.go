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

// TestLogCorrelation: Conn names both ids, the runtime's log lines carry
// them under socket_id and session_id, and Conn.Logger's lines too.
func TestLogCorrelation(t *testing.T) {
	h := newHarness(t, testConfig())
	c, conn := h.connect()
	if conn.SessionID() != c.open.SID || conn.ID() != c.id || conn.SessionID() == conn.ID() {
		t.Fatalf("SessionID %q ID %q, want the open packet's sid %q and the CONNECT reply's %q", conn.SessionID(), conn.ID(), c.open.SID, c.id)
	}
	conn.Logger().Info("from a handler", "k", "v")
	if conn.Logger() != conn.Logger() {
		t.Error("Logger is made anew on each call")
	}
	c.send(`42["no_such_event"]`) // the runtime logs the refusal at debug level
	c.read()
	var handler, runtime string
	for _, line := range strings.Split(h.logs.String(), "\n") {
		switch {
		case strings.Contains(line, "from a handler"):
			handler = line
		case strings.Contains(line, "event refused"):
			runtime = line
		}
	}
	for _, line := range []string{handler, runtime} {
		for _, want := range []string{LogKeySocketID + "=" + c.id, LogKeySessionID + "=" + c.open.SID, "namespace=/", "remote=127.0.0.1:"} {
			if !strings.Contains(line, want) {
				t.Errorf("log line %q lacks %s", line, want)
			}
		}
	}
	if !strings.Contains(handler, "k=v") {
		t.Errorf("the handler's own attributes are lost: %q", handler)
	}
}
