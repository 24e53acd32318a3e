package check

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"example.com/gentest/nsevents"
	"github.com/eventwire/eventwire/middleware"
)

// nsMain handles "/": say replies with the namespace it was sent on.
type nsMain struct{ name *middleware.Key[string] }

func (h nsMain) Say(ctx context.Context, c *nsevents.Conn, v string) (string, error) {
	name, _ := h.name.Get(c.Conn)
	return c.Namespace() + " " + name + ": " + v, nil
}

// nsAdmin handles "/admin": kick closes the main-namespace sockets called
// name, announce broadcasts a notice to "/".
type nsAdmin struct {
	srv  **nsevents.Server
	name *middleware.Key[string]
}

func (h nsAdmin) Kick(ctx context.Context, c *nsevents.AdminConn, m nsevents.AdminKick) (nsevents.AdminKickAck, error) {
	var n int64
	for _, member := range (*h.srv).RoomMembers("all") {
		if name, _ := h.name.Get(member.Conn); name == m.Name {
			_ = member.Close()
			n++
		}
	}
	if err := c.EmitAudit("kicked " + m.Name); err != nil {
		return nsevents.AdminKickAck{}, err
	}
	return nsevents.AdminKickAck{Kicked: n}, nil
}

func (h nsAdmin) Announce(ctx context.Context, c *nsevents.AdminConn, n nsevents.Notice) error {
	return (*h.srv).Broadcast().EmitNotice(n)
}

// TestNamespacesOnOneWebSocket connects "/" and "/admin" on one WebSocket
// against the generated package and the real runtime.
func TestNamespacesOnOneWebSocket(t *testing.T) {
	name := middleware.NewKey[string]("name")
	var srv *nsevents.Server
	srv, err := nsevents.NewServer(nsMain{name}, nsAdmin{&srv, name})
	if err != nil {
		t.Fatal(err)
	}
	srv.Authorize(func(ctx context.Context, c *nsevents.Conn, a nsevents.Auth) error {
		name.Set(c.Conn, a.Name)
		c.Join("all")
		return nil
	})
	admin := srv.Admin()
	admin.Authorize(func(ctx context.Context, c *nsevents.AdminConn, a nsevents.AdminAuth) error {
		if a.Token != "secret" {
			return middleware.NewError("forbidden", "wrong token")
		}
		return nil
	})
	disconnected := make(chan string, 4)
	admin.OnDisconnect(func(c *nsevents.AdminConn, reason string) { disconnected <- "admin " + reason })
	srv.OnDisconnect(func(c *nsevents.Conn, reason string) { disconnected <- "main " + reason })
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		_ = srv.Close()
		ts.Close()
	})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"

	mod := connect(t, url, `{"name":"mod"}`)
	mod.write(t, `40/admin,{"token":"nope"}`)
	if f := mod.readUntil(t, "44/admin,"); !strings.Contains(f, `"code":"forbidden"`) {
		t.Fatalf("refused admin CONNECT: %s", f)
	}
	mod.write(t, `40/admin,{"token":"secret"}`)
	mod.readUntil(t, `40/admin,{"sid":`)
	if admin.Runtime().Len() != 1 || srv.Runtime().Len() != 1 {
		t.Fatalf("sockets: admin %d, main %d", admin.Runtime().Len(), srv.Runtime().Len())
	}
	bob := connect(t, url, `{"name":"bob"}`)

	mod.write(t, `421["say","hi"]`)
	if f := mod.readUntil(t, "431"); f != `431[{"data":"/ mod: hi"}]` {
		t.Errorf("say on /: %s", f)
	}
	mod.write(t, `42/admin,["announce",{"text":"maintenance"}]`)
	for _, c := range []*client{mod, bob} {
		if f := c.readUntil(t, `42["notice"`); f != `42["notice",{"text":"maintenance"}]` {
			t.Errorf("notice: %s", f)
		}
	}
	mod.write(t, `42/admin,2["kick",{"name":"Bob"}]`)
	if f := mod.readUntil(t, "43/admin,2"); !strings.Contains(f, `"rule":"pattern"`) {
		t.Errorf("invalid kick: %s", f)
	}
	mod.write(t, `42/admin,3["kick",{"name":"bob"}]`)
	if f := mod.readUntil(t, `42/admin,["audit"`); f != `42/admin,["audit","kicked bob"]` {
		t.Errorf("audit: %s", f)
	}
	if f := mod.readUntil(t, "43/admin,3"); f != `43/admin,3[{"data":{"kicked":1}}]` {
		t.Errorf("kick ack: %s", f)
	}
	bob.readUntil(t, "41")
	if got := <-disconnected; got != "main server namespace disconnect" {
		t.Errorf("bob: %s", got)
	}
	mod.write(t, "41/admin,")
	if got := <-disconnected; got != "admin client namespace disconnect" {
		t.Errorf("admin: %s", got)
	}
	mod.write(t, `424["say","still here"]`)
	if f := mod.readUntil(t, "434"); f != `434[{"data":"/ mod: still here"}]` {
		t.Errorf("say after leaving /admin: %s", f)
	}
}
