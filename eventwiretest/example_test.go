package eventwiretest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/eventwire/eventwire/eventwiretest"
	"github.com/eventwire/eventwire/middleware"
)

// A test of a chat handler, as a Test function would write it with its
// *testing.T (here exampleT stands in for it): two clients connect, one
// says a line with an ack, the other gets it.
func Example() {
	t := &exampleT{}
	defer t.cleanup()

	srv, err := middleware.New(middleware.Schema{Events: []middleware.Event{
		{Name: "say", ClientSends: true, Payload: &middleware.Shape{Kind: middleware.KindString}},
		{Name: "said", ServerSends: true, Payload: &middleware.Shape{Kind: middleware.KindString}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	_ = middleware.Handle(srv, "say", func(ctx context.Context, c *middleware.Conn, line string) error {
		return c.Broadcast().Emit("said", line)
	})

	ts := eventwiretest.NewServer(t, srv)
	ann, bob := ts.Dial(t), ts.Dial(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	reply, err := ann.EmitWithAck(ctx, "say", "hello")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ann's ack:", string(reply[0]))

	ev, err := bob.WaitFor(ctx, "said")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	_ = ev.Decode(0, &line)
	fmt.Println("bob got:", line)

	reply, err = ann.EmitWithAck(ctx, "say", 42) // not a string: refused before the handler
	if err != nil {
		t.Fatal(err)
	}
	var refused struct{ Error middleware.Error }
	_ = json.Unmarshal(reply[0], &refused)
	fmt.Println("a number instead:", refused.Error.Code)
	// Output:
	// ann's ack: {"data":null}
	// bob got: hello
	// a number instead: invalid_payload
}

// exampleT is the part of *testing.T the helpers use.
type exampleT struct{ cleanups []func() }

func (*exampleT) Helper()             {}
func (*exampleT) Fatal(args ...any)   { panic(fmt.Sprint(args...)) }
func (t *exampleT) Cleanup(fn func()) { t.cleanups = append(t.cleanups, fn) }

func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
