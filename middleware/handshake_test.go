package middleware

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

func upgradeHeaders() http.Header {
	h := http.Header{}
	h.Set("Connection", "Upgrade")
	h.Set("Upgrade", "websocket")
	h.Set("Sec-WebSocket-Version", "13")
	h.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(make([]byte, 16)))
	return h
}

func TestHandshakeHTTPErrors(t *testing.T) {
	h := newHarness(t, testConfig())
	tests := []struct {
		name     string
		method   string
		path     string
		header   http.Header
		status   int
		body     string // "" for a non-JSON answer
		jsonBody bool
	}{
		{"POST", "POST", "/socket.io/?EIO=4&transport=websocket", upgradeHeaders(), 400, `{"code":2,"message":"Bad handshake method"}`, true},
		{"EIO missing", "GET", "/socket.io/?transport=websocket", upgradeHeaders(), 400, `{"code":5,"message":"Unsupported protocol version"}`, true},
		{"EIO 3", "GET", "/socket.io/?EIO=3&transport=websocket", upgradeHeaders(), 400, `{"code":5,"message":"Unsupported protocol version"}`, true},
		{"transport missing", "GET", "/socket.io/?EIO=4", upgradeHeaders(), 400, `{"code":0,"message":"Transport unknown"}`, true},
		{"transport unknown", "GET", "/socket.io/?EIO=4&transport=carrier-pigeon", upgradeHeaders(), 400, `{"code":0,"message":"Transport unknown"}`, true},
		{"polling", "GET", "/socket.io/?EIO=4&transport=polling", nil, 400, `{"code":3,"message":"Bad request"}`, true},
		{"not an upgrade", "GET", "/socket.io/?EIO=4&transport=websocket", nil, 400, `{"code":3,"message":"Bad request"}`, true},
		{"bad websocket key", "GET", "/socket.io/?EIO=4&transport=websocket", func() http.Header {
			hd := upgradeHeaders()
			hd.Set("Sec-WebSocket-Key", "short")
			return hd
		}(), 400, `{"code":3,"message":"Bad request"}`, true},
		{"sid from polling", "GET", "/socket.io/?EIO=4&transport=websocket&sid=abc", upgradeHeaders(), 400, `{"code":1,"message":"Session ID unknown"}`, true},
		{"cross origin", "GET", "/socket.io/?EIO=4&transport=websocket", func() http.Header {
			hd := upgradeHeaders()
			hd.Set("Origin", "https://evil.example")
			return hd
		}(), 403, `{"code":4,"message":"Forbidden"}`, true},
		{"outside path", "GET", "/elsewhere?EIO=4&transport=websocket", upgradeHeaders(), 404, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, h.ts.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := h.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.status, body)
			}
			if !tc.jsonBody {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			jsonEqual(t, string(body), tc.body)
		})
	}
}

func TestOrigin(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		origin  string // "HOST" is replaced by the test server's host:port
		ok      bool
	}{
		{"absent", nil, "", true},
		{"same origin", nil, "http://HOST", true},
		{"same origin, other scheme", nil, "https://HOST", true},
		{"cross origin", nil, "https://evil.example", false},
		{"null origin", nil, "null", false},
		{"allow-listed", []string{"https://app.example"}, "https://app.example", true},
		{"allow-listed, case and default port", []string{"https://APP.example:443"}, "https://app.example", true},
		{"not allow-listed", []string{"https://app.example"}, "https://other.example", false},
		{"allow-list keeps same origin", []string{"https://app.example"}, "http://HOST", true},
		{"other port", nil, "http://127.0.0.1:1", false},
		{"wildcard", []string{"*"}, "https://evil.example", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.AllowedOrigins = tc.allowed
			h := newHarness(t, cfg)
			header := http.Header{}
			if tc.origin != "" {
				header.Set("Origin", strings.ReplaceAll(tc.origin, "HOST", strings.TrimPrefix(h.ts.URL, "http://")))
			}
			ws, resp, err := websocket.DefaultDialer.Dial(h.wsURL("EIO=4&transport=websocket"), header)
			if ws != nil {
				defer ws.Close()
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Fatalf("want 403, got %v %v", err, resp)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			jsonEqual(t, string(body), `{"code":4,"message":"Forbidden"}`)
		})
	}
}

func TestOpenPacketAndConnect(t *testing.T) {
	cfg := testConfig()
	cfg.MaxPayload = 4096
	h := newHarness(t, cfg)
	c := h.dial(nil)
	id := regexp.MustCompile(`^[A-Za-z0-9_-]{20}$`)
	if !id.MatchString(c.open.SID) {
		t.Errorf("sid %q is not 20 base64url characters", c.open.SID)
	}
	if c.open.Upgrades == nil || len(c.open.Upgrades) != 0 || c.open.PingInterval != 25000 ||
		c.open.PingTimeout != 20000 || c.open.MaxPayload != 4096 {
		t.Errorf("open packet %+v", c.open)
	}
	// Another namespace is refused but the connection stays usable.
	c.send("40/admin,")
	if got := c.read(); got != `44/admin,{"message":"Invalid namespace"}` {
		t.Errorf("namespace reply %q", got)
	}
	c.send(`40{"token":"abc"}`)
	got := c.read()
	var reply struct {
		SID string `json:"sid"`
	}
	if !strings.HasPrefix(got, "40{") || json.Unmarshal([]byte(got[2:]), &reply) != nil {
		t.Fatalf("connect reply %q", got)
	}
	if !id.MatchString(reply.SID) || reply.SID == c.open.SID {
		t.Errorf("socket id %q (engine sid %q)", reply.SID, c.open.SID)
	}
	conn := <-h.conns
	if conn.ID() != reply.SID || conn.Request() == nil || conn.RemoteAddr() == "" {
		t.Errorf("Conn id %q, request %v, remote %q", conn.ID(), conn.Request(), conn.RemoteAddr())
	}
	if h.srv.Len() != 1 {
		t.Errorf("Len %d, want 1", h.srv.Len())
	}
}

func TestMiddleware(t *testing.T) {
	srv, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "app "+r.URL.Path)
	})
	handler := srv.Middleware(next)
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/", 200, "app /"},
		{"/index.html", 200, "app /index.html"},
		{"/socket.io", 200, "app /socket.io"}, // the prefix is "/socket.io/"
		{"/socket.io/?EIO=4&transport=polling", 400, `{"code":3,"message":"Bad request"}`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
		})
	}
}

func TestServeHTTPAfterClose(t *testing.T) {
	h := newHarness(t, testConfig())
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	_, resp, err := websocket.DefaultDialer.Dial(h.wsURL("EIO=4&transport=websocket"), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("want 503, got %v %v", err, resp)
	}
	_ = resp.Body.Close()
	if err := h.srv.Broadcast().Emit("link", "x"); err == nil {
		t.Error("Broadcast after Close succeeded")
	}
}
