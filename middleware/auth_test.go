package middleware

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestBeforeUpgrade(t *testing.T) {
	tests := []struct {
		name   string
		fn     func(r *http.Request) error
		status int
		body   string
	}{
		{"plain error", func(*http.Request) error { return errors.New("no session") },
			403, `{"code":4,"message":"Forbidden"}`},
		{"HTTPError", func(*http.Request) error { return &HTTPError{Status: 401, Message: "log in first"} },
			401, `{"code":4,"message":"log in first"}`},
		{"wrapped HTTPError without message", func(*http.Request) error {
			return errors.Join(errors.New("x"), &HTTPError{Status: 429})
		}, 429, `{"code":4,"message":"Forbidden"}`},
		{"HTTPError with a status that is no error", func(*http.Request) error { return &HTTPError{Status: 200} },
			403, `{"code":4,"message":"Forbidden"}`},
		{"panic", func(*http.Request) error { panic("hook bug") }, 500, `{"code":4,"message":"Forbidden"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, testConfig())
			h.srv.BeforeUpgrade(tc.fn)
			_, resp, err := websocket.DefaultDialer.Dial(h.wsURL("EIO=4&transport=websocket"), nil)
			if err == nil || resp == nil {
				t.Fatalf("upgrade not refused: %v", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("status %d, content type %q; want %d", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status)
			}
			if string(body) != tc.body {
				t.Errorf("body %s, want %s", body, tc.body)
			}
		})
	}
}

func TestBeforeUpgradeAccepts(t *testing.T) {
	h := newHarness(t, testConfig())
	var calls atomic.Int32
	h.srv.BeforeUpgrade(func(r *http.Request) error {
		calls.Add(1)
		if c, err := r.Cookie("session"); err != nil || c.Value != "ok" {
			return &HTTPError{Status: http.StatusUnauthorized}
		}
		return nil
	})
	c := h.dial(http.Header{"Cookie": {"session=ok"}})
	c.send("40")
	if f := c.read(); !strings.HasPrefix(f, `40{"sid":`) {
		t.Fatalf("connect reply %s", f)
	}
	// A request the handshake checks refuse never reaches the hook.
	resp, err := h.ts.Client().Get(h.ts.URL + "/socket.io/?EIO=3&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || calls.Load() != 1 {
		t.Errorf("status %d, %d hook calls; want 400 and 1", resp.StatusCode, calls.Load())
	}
}

type authPayload struct {
	Name  string  `json:"name" validate:"min=1,max=20"`
	Token *string `json:"token,omitempty" validate:"omitempty,min=3"`
}

func authSchema() Schema {
	s := testSchema()
	s.Auth = object(FieldShape{Name: "name", Required: true, Shape: str()}, FieldShape{Name: "token", Shape: str()})
	return s
}

// connectRefused sends CONNECT and checks the exact CONNECT_ERROR frame
// and the close that follows it.
func (c *client) connectRefused(connect, want string) {
	c.t.Helper()
	c.send(connect)
	if got := c.read(); got != want {
		c.t.Errorf("got  %s\nwant %s", got, want)
	}
	c.expectClose(websocket.ClosePolicyViolation)
}

// registerAuthorize registers an Authorize function that refuses some
// names in each way there is and keeps the name of the others.
func registerAuthorize(t *testing.T, h *harness) *Key[string] {
	t.Helper()
	name := NewKey[string]("name")
	err := Authorize(h.srv, func(ctx context.Context, c *Conn, a authPayload) error {
		switch a.Name {
		case "mallory":
			return &Error{Code: "banned", Message: "you are banned"}
		case "detailed":
			return &Error{Code: "taken", Message: "name taken", Details: []Detail{newDetail("name", "unique", "")}}
		case "broken":
			return errors.New("db down: hunter2")
		case "panicky":
			panic("authorize bug")
		}
		name.Set(c, a.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func TestAuthorize(t *testing.T) {
	h := newSchemaHarness(t, authSchema(), testConfig())
	h.register()
	name := registerAuthorize(t, h)
	tests := []struct {
		name    string
		connect string
		want    string
	}{
		{"absent payload is checked as {}", `40`,
			`44{"message":"invalid auth","data":{"code":"invalid_payload","details":[{"field":"name","rule":"required","message":"name is required"}]}}`},
		{"unknown key and wrong type", `40{"name":1,"admin":true}`,
			`44{"message":"invalid auth","data":{"code":"invalid_payload","details":[{"field":"name","rule":"type","param":"string","message":"name must be of type string"},{"field":"admin","rule":"unknown","message":"admin is not a known field"}]}}`},
		{"rule", `40{"name":"","token":"ab"}`,
			`44{"message":"invalid auth","data":{"code":"invalid_payload","details":[{"field":"name","rule":"minLength","param":"1","message":"name must be at least 1 characters"},{"field":"token","rule":"minLength","param":"3","message":"token must be at least 3 characters"}]}}`},
		{"refused with the app's code", `40{"name":"mallory"}`, `44{"message":"you are banned","data":{"code":"banned"}}`},
		{"refused with details", `40{"name":"detailed"}`,
			`44{"message":"name taken","data":{"code":"taken","details":[{"field":"name","rule":"unique","message":"name is invalid (unique)"}]}}`},
		{"plain error", `40{"name":"broken"}`, `44{"message":"internal error","data":{"code":"internal"}}`},
		{"panic", `40{"name":"panicky"}`, `44{"message":"internal error","data":{"code":"internal"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.dial(nil).connectRefused(tc.connect, tc.want)
		})
	}
	t.Run("accepted", func(t *testing.T) {
		c := h.dial(nil)
		c.send(`40{"name":"<alice>"}`)
		if f := c.read(); !strings.HasPrefix(f, `40{"sid":`) {
			t.Fatalf("connect reply %s", f)
		}
		conn := <-h.conns // OnConnect runs after Authorize
		if got, ok := name.Get(conn); !ok || got != "<alice>" {
			t.Errorf("name %q, %v", got, ok)
		}
	})
	select {
	case d := <-h.gone:
		t.Errorf("OnDisconnect ran for a refused socket: %+v", d)
	case <-time.After(20 * time.Millisecond):
	}
	logs := h.logs.String()
	for _, want := range []string{"db down: hunter2", "authorize bug"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestAuthWithoutAuthorize(t *testing.T) {
	t.Run("schema without auth accepts any payload unread", func(t *testing.T) {
		h := newHarness(t, testConfig())
		c := h.dial(nil)
		c.send(`40{"token":123,"anything":[1]}`)
		if f := c.read(); !strings.HasPrefix(f, `40{"sid":`) {
			t.Fatalf("connect reply %s", f)
		}
	})
	t.Run("schema auth is shape-checked", func(t *testing.T) {
		h := newSchemaHarness(t, authSchema(), testConfig())
		h.dial(nil).connectRefused(`40{"nom":"x"}`,
			`44{"message":"invalid auth","data":{"code":"invalid_payload","details":[{"field":"name","rule":"required","message":"name is required"},{"field":"nom","rule":"unknown","message":"nom is not a known field"}]}}`)
		c := h.dial(nil)
		c.send(`40{"name":""}`) // rules need Authorize's type
		if f := c.read(); !strings.HasPrefix(f, `40{"sid":`) {
			t.Fatalf("connect reply %s", f)
		}
	})
}

type badAuthTag struct {
	Name string `json:"name" validate:"no_such_rule"`
}

func TestAuthorizeRegistration(t *testing.T) {
	plain, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	withAuth, err := New(authSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer withAuth.Close()
	tests := []struct {
		name string
		reg  func() error
		want string
	}{
		{"no auth in the schema", func() error {
			return Authorize(plain, func(context.Context, *Conn, authPayload) error { return nil })
		}, "declares no auth"},
		{"nil function", func() error { return Authorize[authPayload](withAuth, nil) }, "nil function"},
		{"type mismatch", func() error {
			return Authorize(withAuth, func(context.Context, *Conn, string) error { return nil })
		}, "cannot hold a JSON object"},
		{"bad tag", func() error {
			return Authorize(withAuth, func(context.Context, *Conn, badAuthTag) error { return nil })
		}, "bad validation tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.reg()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "eventwire: ") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
