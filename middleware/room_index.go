package middleware

import (
	"maps"
	"slices"
	"sort"

	"github.com/eventwire/eventwire/internal/engineio"
)

// Rooms are an index, room -> members, kept under Server.mu next to the set
// of connected sockets, so an emit snapshots its recipients under one read
// lock and an emit to a room costs the room's size, not the server's.
//
// Invariant (under Server.mu): c is a member of room r in the index exactly
// when c is a connected socket (in Server.sockets) and r is in c.roomSet.
// A Conn may name rooms before it is connected (Join from Authorize); they
// are indexed when it connects. When the connection ends it leaves the
// index, but c.roomSet stays, so OnDisconnect can still ask c.Rooms().

// Join adds c to rooms. Joining a room c is in already changes nothing (its
// place in the join order included). On a connection that has ended, or is
// ending, Join does nothing.
func (c *Conn) Join(rooms ...string) {
	defer c.touchSession()
	c.mu.Lock() // the state cannot change under it (addSocket takes c.mu too)
	defer c.mu.Unlock()
	if c.state >= stateClosing {
		return
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, connected := s.sockets[c]
	for _, r := range rooms {
		if _, in := c.roomSet[r]; in {
			continue
		}
		if c.roomSet == nil {
			c.roomSet = make(map[string]struct{})
		}
		c.roomSet[r] = struct{}{}
		if connected {
			s.indexLocked(c, r)
		}
	}
}

// Leave removes c from rooms; rooms it is not in are ignored. When the
// connection ends, c leaves every room by itself (see Server.OnDisconnect).
func (c *Conn) Leave(rooms ...string) {
	defer c.touchSession()
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rooms {
		if _, in := c.roomSet[r]; in {
			delete(c.roomSet, r)
			s.unindexLocked(c, r)
		}
	}
}

// Rooms returns the rooms c is in, sorted. Inside OnDisconnect (and after
// it) it returns the rooms c was in when its connection ended, although c
// is no longer a member of any of them.
func (c *Conn) Rooms() []string {
	c.s.mu.RLock()
	defer c.s.mu.RUnlock()
	return slices.Sorted(maps.Keys(c.roomSet))
}

// Rooms returns the rooms that have members, sorted.
func (s *Server) Rooms() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.rooms))
}

// RoomMembers returns the connected sockets in room, in the order they
// joined it (a socket that joined before it connected counts from when it
// connected).
func (s *Server) RoomMembers(room string) []*Conn {
	s.mu.RLock()
	members := s.rooms[room]
	type member struct {
		c   *Conn
		seq uint64
	}
	list := make([]member, 0, len(members))
	for c, m := range members {
		list = append(list, member{c, m.seq})
	}
	s.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	out := make([]*Conn, len(list))
	for i, m := range list {
		out[i] = m.c
	}
	return out
}

// roomMember is what a room's index keeps of a member: its place in the
// join order, and its session, which an emit to the room writes to.
type roomMember struct {
	seq  uint64
	sess *session
}

// indexLocked makes c a member of room r.
func (s *Server) indexLocked(c *Conn, r string) {
	members := s.rooms[r]
	if members == nil {
		members = make(map[*Conn]roomMember)
		s.rooms[r] = members
	}
	if _, in := members[c]; !in {
		s.joinSeq++
		members[c] = roomMember{seq: s.joinSeq, sess: c.sess}
	}
}

func (s *Server) unindexLocked(c *Conn, r string) {
	members := s.rooms[r]
	delete(members, c)
	if len(members) == 0 {
		delete(s.rooms, r) // Server.Rooms lists rooms that have members only
	}
}

// addSocketLocked makes c a connected socket: a broadcast recipient and a
// member of the rooms it named before.
func (s *Server) addSocketLocked(c *Conn) {
	s.sockets[c] = c.sess
	for r := range c.roomSet {
		s.indexLocked(c, r)
	}
}

// dropSocketLocked removes c from the connected sockets and from every
// room's members; c.roomSet stays for OnDisconnect.
func (s *Server) dropSocketLocked(c *Conn) {
	if _, in := s.sockets[c]; !in {
		return
	}
	delete(s.sockets, c)
	for r := range c.roomSet {
		s.unindexLocked(c, r)
	}
}

// recipients snapshots the sockets o reaches, so they are acted on
// outside the lock.
func (s *Server) recipients(o Operator) ([]*Conn, error) {
	return collect(s, o, func(c *Conn, _ *session) *Conn { return c })
}

// deliver queues p on every socket o reaches on this node, snapshotting
// their sessions under the lock and writing outside it. A closed session's
// error means it left, and a slow consumer's is handled by send: the
// other recipients get p all the same.
func (s *Server) deliver(o Operator, p engineio.Packet) error {
	sessions, err := collect(s, o, func(_ *Conn, e *session) *session { return e })
	n := 0
	for _, e := range sessions {
		if e.Send(p) == nil {
			n++
		}
	}
	s.observeDelivered(p, n)
	return err
}

// collect lists pick(socket, session) for each socket o reaches: with To
// only the named rooms' members, otherwise every connected socket. The
// index hands over each socket's session with it, so a broadcast visits
// one struct per recipient, not two: at 5,000 recipients most are not in
// the CPU's cache (issue 7: BenchmarkBroadcast at 5,000 clients).
func collect[T any](s *Server, o Operator, pick func(*Conn, *session) T) ([]T, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closing {
		return nil, ErrClosed
	}
	if !o.targeted {
		out := make([]T, 0, len(s.sockets))
		for c, e := range s.sockets {
			if o.keeps(c) {
				out = append(out, pick(c, e))
			}
		}
		return out, nil
	}
	n := 0
	for _, r := range o.to {
		n += len(s.rooms[r])
	}
	out := make([]T, 0, n)
	for i, r := range o.to {
		for c, m := range s.rooms[r] {
			// A member of an earlier room of the list was taken there.
			if !c.inAnyLocked(o.to[:i]) && o.keeps(c) {
				out = append(out, pick(c, m.sess))
			}
		}
	}
	return out, nil
}

// keeps reports whether c, a candidate recipient, is not excluded by o.
// Called under Server.mu.
func (o Operator) keeps(c *Conn) bool {
	if o.except != nil { // the pointer: a broadcast reads no recipient's id
		return c != o.except && c != o.successor && !c.inAnyLocked(o.without)
	}
	return (o.exceptID == "" || c.id != o.exceptID) && !c.inAnyLocked(o.without)
}

// inAnyLocked reports whether c is in any of rooms; called under Server.mu.
func (c *Conn) inAnyLocked(rooms []string) bool {
	for _, r := range rooms {
		if _, in := c.roomSet[r]; in {
			return true
		}
	}
	return false
}
