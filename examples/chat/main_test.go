package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eventwire/eventwire/internal/sioclient"
	"github.com/eventwire/eventwire/middleware"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	cfg := middleware.DefaultConfig()
	handler, srv, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts
}

func TestChat(t *testing.T) {
	ts := newTestServer(t)
	a, b := dial(t, ts), dial(t, ts)
	for name, c := range map[string]*sioclient.Client{"a": a, "b": b} {
		if got, want := readFrame(t, c), `42["link","Welcome to the eventwire chat!"]`; got != want {
			t.Fatalf("%s: welcome = %q, want %q", name, got, want)
		}
	}

	must(t, a.Send(`421["browser_to_message",{"messageText":"<b>hi</b> 👋"}]`))
	if got, want := readFrame(t, b), `42["server_back_message",{"messageText":"<b>hi</b> 👋"}]`; got != want {
		t.Errorf("b got %q, want %q", got, want)
	}
	// The ack is a's next frame: a never receives its own line.
	if got, want := readFrame(t, a), `431[{"data":null}]`; got != want {
		t.Errorf("a got %q, want %q", got, want)
	}

	must(t, a.Send(`422["browser_to_message",{"messageText":""}]`))
	var reply []struct {
		Error middleware.Error `json:"error"`
	}
	got := readFrame(t, a)
	if !strings.HasPrefix(got, "432") || json.Unmarshal([]byte(got[3:]), &reply) != nil || len(reply) != 1 {
		t.Fatalf("invalid payload reply = %q", got)
	}
	if reply[0].Error.Code != "invalid_payload" || len(reply[0].Error.Details) != 1 || reply[0].Error.Details[0].Rule != "minLength" {
		t.Errorf("invalid payload error = %+v", reply[0].Error)
	}
}

func dial(t *testing.T, ts *httptest.Server) *sioclient.Client {
	t.Helper()
	c, err := sioclient.Dial(ts.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readFrame(t *testing.T, c *sioclient.Client) string {
	t.Helper()
	f, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPageServed(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ path, contains, contentType string }{
		{"/", `id="myInput"`, "text/html"},
		{"/socket.io/chatevents.js", "export function connect", "text/javascript"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res, err := http.Get(ts.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("GET %s: %d, body lacks %q", tc.path, res.StatusCode, tc.contains)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tc.contentType)
			}
		})
	}
	if strings.Contains(readPage(t, ts), "innerHTML") {
		t.Error("the page uses innerHTML: user text must be set with textContent")
	}
}

func readPage(t *testing.T, ts *httptest.Server) string {
	t.Helper()
	res, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}
