package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eventwire/eventwire/internal/sioclient"
	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

func newTestServer(t *testing.T) string {
	t.Helper()
	url, _ := newTestNode(t)
	return url
}

// newTestNode serves the app with opts; it returns its URL and runtime.
func newTestNode(t *testing.T, opts ...middleware.Option) (string, *middleware.Server) {
	t.Helper()
	handler, srv, err := newApp(middleware.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)), "", opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(handler)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return ts.URL, srv.Runtime()
}

func login(t *testing.T, url, name string) *sioclient.Client {
	t.Helper()
	c, err := sioclient.Dial(url, map[string]string{"name": name})
	if err != nil {
		t.Fatalf("login %q: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ack emits with an ack and returns the reply's data or error as JSON text.
func ack(t *testing.T, c *sioclient.Client, event string, payload any) string {
	t.Helper()
	reply, skipped, err := c.EmitAck(event, payload)
	if err != nil || len(reply) != 1 {
		t.Fatalf("%s: reply %q, err %v", event, reply, err)
	}
	if len(skipped) > 0 {
		t.Fatalf("%s: unexpected frames before the ack: %q", event, skipped)
	}
	return string(reply[0])
}

func readEvent(t *testing.T, c *sioclient.Client, want string) string {
	t.Helper()
	name, args, err := c.ReadEvent()
	if err != nil || name != want || len(args) != 1 {
		t.Fatalf("want %s, got %s %q (%v)", want, name, args, err)
	}
	return string(args[0])
}

func TestAuthRefused(t *testing.T) {
	url := newTestServer(t)
	tests := []struct {
		name string
		auth any
		code string
	}{
		{"no auth", nil, "invalid_payload"},
		{"empty name", map[string]any{"name": ""}, "invalid_payload"},
		{"name too long", map[string]any{"name": strings.Repeat("x", 21)}, "invalid_payload"},
		{"unknown key", map[string]any{"name": "ann", "admin": true}, "invalid_payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sioclient.Dial(url, tc.auth)
			var ce *sioclient.ConnectError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a CONNECT_ERROR", err)
			}
			var data struct{ Code string }
			if json.Unmarshal(ce.Data, &data) != nil || data.Code != tc.code || ce.Message == "" {
				t.Errorf("CONNECT_ERROR %s, want data.code %q and a message", ce.Raw, tc.code)
			}
		})
	}
}

func TestRooms(t *testing.T) {
	url := newTestServer(t)
	ann, bob, cid := login(t, url, "ann"), login(t, url, "bob"), login(t, url, "cid")

	if got, want := ack(t, ann, "join", map[string]string{"room": "ops"}), `{"data":{"room":"ops","members":["ann"]}}`; got != want {
		t.Errorf("ann joins: %s, want %s", got, want)
	}
	if got, want := ack(t, bob, "join", map[string]string{"room": "ops"}), `{"data":{"room":"ops","members":["ann","bob"]}}`; got != want {
		t.Errorf("bob joins: %s, want %s", got, want)
	}
	if got, want := readEvent(t, ann, "member_joined"), `{"room":"ops","name":"bob"}`; got != want {
		t.Errorf("ann sees %s, want %s", got, want)
	}

	sayAck := ack(t, bob, "say", map[string]string{"room": "ops", "text": "hi <ann>"})
	var reply struct {
		Data struct {
			ID string
			Ts int64
		}
	}
	if err := json.Unmarshal([]byte(sayAck), &reply); err != nil || reply.Data.ID == "" || reply.Data.Ts == 0 {
		t.Fatalf("say ack %s", sayAck)
	}
	var said struct {
		ID, Room, From, Text string
		Ts                   int64
	}
	if err := json.Unmarshal([]byte(readEvent(t, ann, "said")), &said); err != nil {
		t.Fatal(err)
	}
	if said.ID != reply.Data.ID || said.Ts != reply.Data.Ts || said.Room != "ops" || said.From != "bob" || said.Text != "hi <ann>" {
		t.Errorf("said %+v does not match the ack %+v", said, reply.Data)
	}

	for _, tc := range []struct{ event, payload, code string }{
		{"say", `{"room":"ops","text":"not in ops"}`, "not_member"},
		{"leave", `{"room":"ops"}`, "not_member"},
		{"join", `{"room":"Ops!"}`, "invalid_payload"},
		{"say", `{"room":"ops"}`, "invalid_payload"},
	} {
		got := ack(t, cid, tc.event, json.RawMessage(tc.payload))
		if !strings.Contains(got, `"code":"`+tc.code+`"`) {
			t.Errorf("cid %s %s: %s, want code %s", tc.event, tc.payload, got, tc.code)
		}
	}

	if got, want := ack(t, bob, "leave", map[string]string{"room": "ops"}), `{"data":{"room":"ops"}}`; got != want {
		t.Errorf("bob leaves: %s, want %s", got, want)
	}
	if got, want := readEvent(t, ann, "member_left"), `{"room":"ops","name":"bob"}`; got != want {
		t.Errorf("ann sees %s, want %s", got, want)
	}
	ack(t, bob, "join", map[string]string{"room": "ops"})
	readEvent(t, ann, "member_joined")
	bob.Close()
	if got, want := readEvent(t, ann, "member_left"), `{"room":"ops","name":"bob"}`; got != want {
		t.Errorf("after bob's disconnect ann sees %s, want %s", got, want)
	}
}

// TestShare sends a file as a binary attachment: the other members of the
// room get it back as one, with the ack's id and ts; outsiders and invalid
// files are refused.
// twoNodes starts two teamchat nodes on one in-memory hub and waits until
// each knows the other; it returns their URLs.
func twoNodes(t *testing.T) (urlA, urlB string) {
	t.Helper()
	hub := memory.NewHub()
	node := func() (string, *middleware.Server) {
		return newTestNode(t, middleware.WithAdapter(hub.Adapter(), middleware.AdapterOptions{Heartbeat: 100 * time.Millisecond}))
	}
	urlA, a := node()
	urlB, b := node()
	for deadline := time.Now().Add(5 * time.Second); len(a.ClusterNodes()) == 0 || len(b.ClusterNodes()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the nodes do not know each other")
		}
	}
	return urlA, urlB
}

// TestJoinAckAcrossNodes: in a cluster, the join ack names the members on
// every node, and the members on other nodes hear of the join.
func TestJoinAckAcrossNodes(t *testing.T) {
	urlA, urlB := twoNodes(t)
	ann, bob := login(t, urlA, "ann"), login(t, urlB, "bob")
	if got, want := ack(t, ann, "join", map[string]string{"room": "ops"}), `{"data":{"room":"ops","members":["ann"]}}`; got != want {
		t.Errorf("ann joins on node A: %s, want %s", got, want)
	}
	if got, want := ack(t, bob, "join", map[string]string{"room": "ops"}), `{"data":{"room":"ops","members":["bob","ann"]}}`; got != want {
		t.Errorf("bob joins on node B: %s, want %s (node B's members, then node A's)", got, want)
	}
	if got, want := readEvent(t, ann, "member_joined"), `{"room":"ops","name":"bob"}`; got != want {
		t.Errorf("ann, on node A, sees %s, want %s", got, want)
	}
}

func TestShare(t *testing.T) {
	url := newTestServer(t)
	ann, bob := login(t, url, "ann"), login(t, url, "bob")
	ack(t, ann, "join", map[string]string{"room": "ops"})
	ack(t, bob, "join", map[string]string{"room": "ops"})
	readEvent(t, ann, "member_joined")

	file := []byte{0x89, 'P', 'N', 'G', 0, 0xff}
	header := `451-9["share",{"room":"ops","name":"a.png","type":"image/png","data":{"_placeholder":true,"num":0}}]`
	if err := bob.SendBinary(header, file); err != nil {
		t.Fatal(err)
	}
	frame, err := bob.Read()
	var reply []struct {
		Data struct {
			ID string
			Ts int64
		}
	}
	if err != nil || !strings.HasPrefix(frame, "439") || json.Unmarshal([]byte(frame[3:]), &reply) != nil || reply[0].Data.ID == "" {
		t.Fatalf("share ack %q, %v", frame, err)
	}
	var shared struct {
		ID, Room, From, Name, Type string
		Data                       []byte // base64 once sioclient put the attachment in place
		Ts                         int64
	}
	if err := json.Unmarshal([]byte(readEvent(t, ann, "shared")), &shared); err != nil {
		t.Fatal(err)
	}
	if shared.ID != reply[0].Data.ID || shared.Ts != reply[0].Data.Ts || shared.From != "bob" || shared.Name != "a.png" ||
		shared.Type != "image/png" || string(shared.Data) != string(file) {
		t.Errorf("ann got %+v, want bob's a.png with the ack's id and ts", shared)
	}

	cid := login(t, url, "cid")
	for _, tc := range []struct {
		name, payload, want string
	}{
		{"not a member", `{"room":"ops","name":"a","type":"text/plain","data":"aGk="}`, `"code":"not_member"`},
		{"empty file", `{"room":"ops","name":"a","type":"text/plain","data":""}`, `"rule":"minBytes"`},
		{"bad media type", `{"room":"ops","name":"a","type":"text","data":"aGk="}`, `"field":"type","rule":"pattern"`},
		{"data not bytes", `{"room":"ops","name":"a","type":"text/plain","data":[1]}`, `"field":"data","rule":"type","param":"bytes"`},
		{"over 256 KiB", `{"room":"ops","name":"a","type":"text/plain","data":"` +
			base64.StdEncoding.EncodeToString(make([]byte, 256<<10+1)) + `"}`, `"field":"data","rule":"maxBytes","param":"262144"`},
	} {
		if got := ack(t, cid, "share", json.RawMessage(tc.payload)); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s, want %s in it", tc.name, got, tc.want)
		}
	}
}
