package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventwire/eventwire/middleware"
	"github.com/eventwire/eventwire/middleware/adapter/memory"
)

// TestPresenceAcrossNodes: presence's ack is each named room's statuses by
// user name, members on other nodes included, and they hear of the change.
func TestPresenceAcrossNodes(t *testing.T) {
	urlA, urlB := twoNodes(t)
	ann, bob := login(t, urlA, "ann"), login(t, urlB, "bob")
	ack(t, ann, "join", map[string]string{"room": "ops"})
	ack(t, bob, "join", map[string]string{"room": "ops"})
	readEvent(t, ann, "member_joined")
	statuses := func(m map[string]string) map[string]any { return map[string]any{"statuses": m} }
	if got, want := ack(t, ann, "presence", statuses(map[string]string{"ops": "busy"})), `{"data":{"ops":{"ann":"busy","bob":"online"}}}`; got != want {
		t.Errorf("ann sets busy: %s, want %s", got, want)
	}
	if got, want := readEvent(t, bob, "presence_changed"), `{"room":"ops","name":"ann","status":"busy"}`; got != want {
		t.Errorf("bob, on node B, sees %s, want %s", got, want)
	}
	if got, want := ack(t, bob, "presence", statuses(map[string]string{"ops": "away"})), `{"data":{"ops":{"ann":"busy","bob":"away"}}}`; got != want {
		t.Errorf("bob sets away: %s, want %s (ann's status from node A)", got, want)
	}
	for _, tc := range []struct {
		statuses map[string]string
		want     string
	}{
		{map[string]string{"Ops Room": "away"}, `{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"statuses[\"Ops Room\"]","rule":"keyPattern","param":"^[a-z0-9-]{1,32}$","message":"statuses[\"Ops Room\"] is a key that must match ^[a-z0-9-]{1,32}$"}]}}`},
		{map[string]string{"ops": "asleep"}, `{"error":{"code":"invalid_payload","message":"invalid payload","details":[{"field":"statuses.ops","rule":"enum","param":"online away busy","message":"statuses.ops must be one of online away busy"}]}}`},
		{map[string]string{"dev": "away"}, `{"error":{"code":"not_member","message":"you are not a member of \"dev\"; join it first"}}`},
	} {
		if got := ack(t, bob, "presence", statuses(tc.statuses)); got != tc.want {
			t.Errorf("presence %v: %s, want %s", tc.statuses, got, tc.want)
		}
	}
	// A member that leaves and rejoins is online again.
	readEvent(t, ann, "presence_changed") // bob's away
	ack(t, ann, "leave", map[string]string{"room": "ops"})
	readEvent(t, bob, "member_left")
	ack(t, ann, "join", map[string]string{"room": "ops"})
	readEvent(t, bob, "member_joined")
	if got, want := ack(t, bob, "presence", statuses(map[string]string{"ops": "away"})), `{"data":{"ops":{"ann":"online","bob":"away"}}}`; got != want {
		t.Errorf("after ann left and rejoined: %s, want %s", got, want)
	}
}

// TestPresenceOfSeveralConnections: a name with several connections in a
// room has the status set last on any of them, whichever joined first; a
// connection that set none leaves the name online only if none of the
// others set one. Both of ann's connections are on node A, so their order
// in the room is their join order; bob reads from node B.
func TestPresenceOfSeveralConnections(t *testing.T) {
	for _, annBusyFirst := range []bool{true, false} {
		name := map[bool]string{true: "the busy connection joins first", false: "the busy connection joins second"}[annBusyFirst]
		t.Run(name, func(t *testing.T) {
			urlA, urlB := twoNodes(t)
			bob := login(t, urlB, "bob")
			annBusy, annAway := login(t, urlA, "ann"), login(t, urlA, "ann")
			first, second := annBusy, annAway
			if !annBusyFirst {
				first, second = annAway, annBusy
			}
			join := map[string]string{"room": "ops"}
			ack(t, bob, "join", join)
			ack(t, first, "join", join)
			readEvent(t, bob, "member_joined")
			ack(t, second, "join", join)
			readEvent(t, bob, "member_joined")
			readEvent(t, first, "member_joined")
			set := func(status string) map[string]any {
				return map[string]any{"statuses": map[string]string{"ops": status}}
			}

			if got, want := ack(t, annBusy, "presence", set("busy")), `{"data":{"ops":{"ann":"busy","bob":"online"}}}`; got != want {
				t.Errorf("ann sets busy on one connection, none on the other: %s, want %s", got, want)
			}
			readEvent(t, bob, "presence_changed")
			readEvent(t, annAway, "presence_changed")
			if got, want := ack(t, bob, "presence", set("online")), `{"data":{"ops":{"ann":"busy","bob":"online"}}}`; got != want {
				t.Errorf("bob, on node B, reads: %s, want %s", got, want)
			}
			readEvent(t, annBusy, "presence_changed")
			readEvent(t, annAway, "presence_changed")

			if got, want := ack(t, annAway, "presence", set("away")), `{"data":{"ops":{"ann":"away","bob":"online"}}}`; got != want {
				t.Errorf("ann sets away later on the other connection: %s, want %s", got, want)
			}
			readEvent(t, bob, "presence_changed")
			readEvent(t, annBusy, "presence_changed")
			if got, want := ack(t, bob, "presence", set("online")), `{"data":{"ops":{"ann":"away","bob":"online"}}}`; got != want {
				t.Errorf("bob, on node B, reads: %s, want %s", got, want)
			}
		})
	}
}

// deafAdapter is a memory adapter that drops what it would deliver while
// deaf is set: its node still sends its heartbeats, so the others know it,
// but it never answers their queries.
type deafAdapter struct {
	*memory.Adapter
	deaf *atomic.Bool
}

func (a deafAdapter) Subscribe(ctx context.Context, channels []string, deliver func(channel string, msg []byte)) error {
	return a.Adapter.Subscribe(ctx, channels, func(channel string, msg []byte) {
		if !a.deaf.Load() {
			deliver(channel, msg)
		}
	})
}

// TestPresenceWaitsOnceForANodeThatDoesNotAnswer: with a node that does not
// answer, presence for the most rooms it takes (20) still acks, with this
// node's members, within sioclient.Timeout (5 s, as the client's own ack
// timeout of 10 s): it waits membersWait (2 s) once for the whole ack, not
// once per room (40 s).
func TestPresenceWaitsOnceForANodeThatDoesNotAnswer(t *testing.T) {
	hub := memory.NewHub()
	opts := middleware.AdapterOptions{Heartbeat: 100 * time.Millisecond}
	urlA, a := newTestNode(t, middleware.WithAdapter(hub.Adapter(), opts))
	deaf := new(atomic.Bool)
	_, b := newTestNode(t, middleware.WithAdapter(deafAdapter{hub.Adapter(), deaf}, opts))
	for deadline := time.Now().Add(5 * time.Second); len(a.ClusterNodes()) == 0 || len(b.ClusterNodes()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the nodes do not know each other")
		}
	}
	ann := login(t, urlA, "ann")
	set, want := map[string]string{}, []string{}
	for i := range 20 {
		room := fmt.Sprintf("room-%02d", i)
		ack(t, ann, "join", map[string]string{"room": room}) // node B still answers
		set[room] = "busy"
		want = append(want, fmt.Sprintf(`%q:{"ann":"busy"}`, room))
	}
	deaf.Store(true)
	if got, want := ack(t, ann, "presence", map[string]any{"statuses": set}), `{"data":{`+strings.Join(want, ",")+`}}`; got != want {
		t.Errorf("presence in 20 rooms with node B deaf: %s, want %s", got, want)
	}
}
