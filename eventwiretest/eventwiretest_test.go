package eventwiretest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/middleware"
)

type auth struct {
	Token string `json:"token"`
}

type file struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// server has namespace /admin with an auth schema, a bytes event and a
// hello sent on connect.
func server(t *testing.T, cfg middleware.Config) *eventwiretest.Server {
	t.Helper()
	str := &middleware.Shape{Kind: middleware.KindString}
	srv, err := middleware.New(middleware.Schema{
		Events: []middleware.Event{
			{Name: "hello", ServerSends: true, Payload: str},
			{Name: "file", ServerSends: true, Payload: &middleware.Shape{Kind: middleware.KindObject, Fields: []middleware.FieldShape{
				{Name: "name", Required: true, Shape: str},
				{Name: "data", Required: true, Shape: &middleware.Shape{Kind: middleware.KindBytes}},
			}}},
		},
		Namespaces: []middleware.NamespaceSchema{{
			Name: "/admin",
			Auth: &middleware.Shape{Kind: middleware.KindObject, Fields: []middleware.FieldShape{{Name: "token", Required: true, Shape: str}}},
		}},
	}, middleware.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	srv.OnConnect(func(ctx context.Context, c *middleware.Conn) error {
		if err := c.Emit("hello", "welcome"); err != nil {
			return err
		}
		return c.Emit("file", file{Name: "f.bin", Data: []byte{0, 1, 255}})
	})
	if err := middleware.Authorize(srv.Namespace("/admin"), func(ctx context.Context, c *middleware.Conn, a auth) error {
		if a.Token != "secret" {
			return middleware.NewError("forbidden", "wrong token")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return eventwiretest.NewServer(t, srv)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestEvents: events in order, binary attachments decoded into []byte, and
// the recovery offset kept apart from the arguments.
func TestEvents(t *testing.T) {
	for _, recovery := range []bool{false, true} {
		cfg := middleware.DefaultConfig()
		cfg.Recovery = recovery
		c := server(t, cfg).Dial(t)
		ev, err := c.Next(ctx(t))
		var text string
		if err != nil || ev.Name != "hello" || ev.Decode(0, &text) != nil || text != "welcome" || len(ev.Args) != 1 {
			t.Fatalf("recovery %v: first event %+v, %v", recovery, ev, err)
		}
		if (ev.Offset != "") != recovery {
			t.Errorf("recovery %v: offset %q", recovery, ev.Offset)
		}
		ev, err = c.WaitFor(ctx(t), "file")
		var f file
		if err != nil || ev.Decode(0, &f) != nil || f.Name != "f.bin" || string(f.Data) != "\x00\x01\xff" {
			t.Errorf("recovery %v: the binary event %+v decoded to %+v, %v", recovery, ev, f, err)
		}
		if err := ev.Decode(3, &f); err == nil {
			t.Error("Decode of an argument that is not there succeeded")
		}
	}
}

// TestNamespaceAndAuth: a namespace's auth is checked; a refusal is a
// *ConnectError with the server's message.
func TestNamespaceAndAuth(t *testing.T) {
	srv := server(t, middleware.DefaultConfig())
	admin := srv.Dial(t, eventwiretest.WithNamespace("/admin"), eventwiretest.WithAuth(auth{Token: "secret"}))
	if admin.ID() == "" {
		t.Error("no socket id")
	}
	_, err := srv.TryDial(eventwiretest.WithNamespace("/admin"), eventwiretest.WithAuth(auth{Token: "guess"}))
	var ce *eventwiretest.ConnectError
	if !errors.As(err, &ce) || ce.Message != "wrong token" {
		t.Errorf("a wrong token: %v, want a ConnectError", err)
	}
}

// TestWaitForEnds: a wait ends with the context, or when the connection
// ends.
func TestWaitForEnds(t *testing.T) {
	c := server(t, middleware.DefaultConfig()).Dial(t)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.WaitFor(short, "never"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor past its context: %v", err)
	}
	_ = c.Close()
	if _, err := c.Next(ctx(t)); err == nil {
		t.Error("Next on a closed client succeeded")
	}
}
