package main

import "testing"

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
