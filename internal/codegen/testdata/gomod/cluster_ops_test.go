package check

import (
	"context"
	"testing"
	"time"
)

// TestClusterOperations uses the generated cluster-wide helpers on a single
// node (no adapter), where they act on this node's clients.
func TestClusterOperations(t *testing.T) {
	s, cl, conn := serveConnected(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := s.srv.ClusterLen(ctx); err != nil || n != 1 {
		t.Fatalf("ClusterLen = %d, %v; want 1", n, err)
	}
	if err := s.srv.Broadcast().Local().Join("ops"); err != nil {
		t.Fatal(err)
	}
	members, err := s.srv.ClusterRoomMembers(ctx, "ops")
	if err != nil || len(members) != 1 || members[0].ID != conn.ID() || members[0].Node != s.srv.Runtime().NodeID() {
		t.Fatalf("ClusterRoomMembers = %+v, %v", members, err)
	}
	if err := s.srv.To("ops").Leave("ops"); err != nil || len(s.srv.RoomMembers("ops")) != 0 {
		t.Fatalf("Leave: %v, members %d", err, len(s.srv.RoomMembers("ops")))
	}
	if err := s.srv.Broadcast().Disconnect(); err != nil {
		t.Fatal(err)
	}
	if frame := cl.readUntil(t, "41"); frame != "41" {
		t.Fatalf("got %s, want the server's DISCONNECT", frame)
	}
}
