// Command teamchat is a small team chat on eventwire: users connect with a
// name (auth), join and leave rooms (acks with the member list), and say
// lines to the other members of a room. Moderators connect to namespace
// /admin (on the same WebSocket) with EVENTWIRE_ADMIN_TOKEN to announce and
// kick (admin.go).
//
//	go run ./examples/teamchat            # http://127.0.0.1:5060
//	EVENTWIRE_ADDR=127.0.0.1:8080 go run ./examples/teamchat
package main

//go:generate go run github.com/eventwire/eventwire/gen -spec events.yaml -out ./teamevents -asyncapi asyncapi.yaml -asyncapi-host 127.0.0.1:5060

import (
	"cmp"
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventwire/eventwire/examples/internal/serve"
	"github.com/eventwire/eventwire/examples/teamchat/teamevents"
	"github.com/eventwire/eventwire/middleware"
)

// The page; the client module it imports is served by the eventwire server
// at /socket.io/teamevents.min.js (and the readable teamevents.js).
//
//go:embed static
var assets embed.FS

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "teamchat:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	settings, err := serve.Load("teamchat", "127.0.0.1:5060", args)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// admin_token (EVENTWIRE_ADMIN_TOKEN) admits moderators to /admin; unset, nobody.
	handler, srv, err := newApp(settings.Config, logger, settings.Viper.GetString("admin_token"), settings.Cluster)
	if err != nil {
		return err
	}
	return serve.Run("teamchat", settings, handler, srv, logger)
}

// newApp builds the team chat: the eventwire server wrapped around the page.
// An empty adminToken leaves namespace /admin refusing everyone; opts add
// to the runtime's options (a cluster adapter).
func newApp(cfg middleware.Config, logger *slog.Logger, adminToken string, opts ...middleware.Option) (http.Handler, *teamevents.Server, error) {
	app := &teamchat{name: userName}
	mods := &moderators{chat: app, token: adminToken}
	opts = append([]middleware.Option{middleware.WithConfig(cfg), middleware.WithLogger(logger)}, opts...)
	srv, err := teamevents.NewServer(app, mods, opts...)
	if err != nil {
		return nil, nil, err
	}
	app.srv = srv
	srv.Authorize(func(ctx context.Context, c *teamevents.Conn, a teamevents.Auth) error {
		app.name.Set(c.Conn, a.Name) // the name is valid: the runtime checked it against events.yaml
		c.Join(userRoom(a.Name))     // so a moderator's kick finds every connection of the name
		return nil
	})
	srv.OnDisconnect(app.disconnected)
	srv.Admin().Authorize(mods.authorize)
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(static))
	return srv.Middleware(mux), srv, nil
}

// userName is a connection's user name. It is recoverable: a session that
// comes back keeps it, and ClusterRoomMembers tells it for the members on
// other nodes.
var userName = middleware.NewRecoverableKey[teamevents.UserName]("name")

// statuses are a connection's statuses by room name, as presence set them;
// recoverable, so every node can tell them for a room's presence.
var statuses = middleware.NewRecoverableKey[map[string]setStatus]("statuses")

// setStatus is a status presence set in a room and when. A user may have
// several connections in a room (tabs, devices), each with its own statuses;
// the room's presence tells, for each name, the status set last on any of
// them (see presence).
type setStatus struct {
	Status teamevents.Availability `json:"status"`
	At     int64                   `json:"at"` // nanoseconds since the epoch, from setAt
}

// lastSetAt is the latest At setAt gave on this node.
var lastSetAt atomic.Int64

// setAt is now in nanoseconds since the epoch, strictly after the last one
// it gave on this node, so a status set later on a node always wins there
// even when the clock does not move or steps back. Across nodes, "later"
// is as far as their clocks agree.
func setAt() int64 {
	for {
		last, now := lastSetAt.Load(), time.Now().UnixNano()
		now = max(now, last+1)
		if lastSetAt.CompareAndSwap(last, now) {
			return now
		}
	}
}

// teamchat handles the events clients send.
type teamchat struct {
	srv  *teamevents.Server
	name *middleware.Key[teamevents.UserName]
}

// errNotMember refuses a line or a leave for a room the sender is not in.
func errNotMember(room teamevents.RoomName) error {
	return middleware.NewError("not_member", fmt.Sprintf("you are not a member of %q; join it first", room))
}

func (t *teamchat) nameOf(c *teamevents.Conn) teamevents.UserName {
	name, _ := t.name.Get(c.Conn)
	return name
}

// Join adds the sender to the room, tells the other members, and replies
// with every member's name, on every node of a cluster: this node's in
// join order, then each other node's. Joining a room twice changes nothing.
func (t *teamchat) Join(ctx context.Context, c *teamevents.Conn, m teamevents.Join) (teamevents.JoinAck, error) {
	room := string(m.Room)
	if !slices.Contains(c.Rooms(), room) {
		c.Join(room)
		if err := c.To(room).EmitMemberJoined(teamevents.MemberJoined{Room: m.Room, Name: t.nameOf(c)}); err != nil {
			return teamevents.JoinAck{}, err
		}
	}
	return teamevents.JoinAck{Room: m.Room, Members: t.members(ctx, room)}, nil
}

// membersWait bounds how long a join waits for the other nodes' members.
const membersWait = 2 * time.Second

// members returns the names of a room's members on every node; a node
// that does not answer within membersWait (or a broker that is down) leaves
// its members out, rather than failing the join.
func (t *teamchat) members(ctx context.Context, room string) []teamevents.UserName {
	ctx, cancel := context.WithTimeout(ctx, membersWait)
	defer cancel()
	sockets, _ := t.srv.ClusterRoomMembers(ctx, room) // with an error: those that answered
	names := []teamevents.UserName{}
	for _, s := range sockets {
		if name, ok := t.name.Remote(s); ok {
			names = append(names, name)
		}
	}
	return names
}

// Leave removes the sender from the room and tells the other members.
func (t *teamchat) Leave(ctx context.Context, c *teamevents.Conn, m teamevents.Leave) (teamevents.LeaveAck, error) {
	room := string(m.Room)
	if !slices.Contains(c.Rooms(), room) {
		return teamevents.LeaveAck{}, errNotMember(m.Room)
	}
	c.Leave(room)
	forgetAvailability(c, room)
	err := t.srv.To(room).EmitMemberLeft(teamevents.MemberLeft{Room: m.Room, Name: t.nameOf(c)})
	return teamevents.LeaveAck{Room: m.Room}, err
}

// Say sends a line to the room's other members; the ack carries the id and
// time every member sees.
func (t *teamchat) Say(ctx context.Context, c *teamevents.Conn, m teamevents.Say) (teamevents.SayAck, error) {
	if !slices.Contains(c.Rooms(), string(m.Room)) {
		return teamevents.SayAck{}, errNotMember(m.Room)
	}
	said := teamevents.Said{ID: rand.Text(), Room: m.Room, From: t.nameOf(c), Text: m.Text, Ts: time.Now().UnixMilli()}
	if err := c.To(string(m.Room)).EmitSaid(said); err != nil {
		return teamevents.SayAck{}, err
	}
	return teamevents.SayAck{ID: said.ID, Ts: said.Ts}, nil
}

// Share sends a file to the room's other members as Say sends a line; the
// bytes go out as a binary attachment, encoded once for the whole room.
func (t *teamchat) Share(ctx context.Context, c *teamevents.Conn, m teamevents.Share) (teamevents.ShareAck, error) {
	if !slices.Contains(c.Rooms(), string(m.Room)) {
		return teamevents.ShareAck{}, errNotMember(m.Room)
	}
	shared := teamevents.Shared{ID: rand.Text(), Room: m.Room, From: t.nameOf(c), Name: m.Name, Type: m.Type,
		Data: m.Data, Ts: time.Now().UnixMilli()}
	if err := c.To(string(m.Room)).EmitShared(shared); err != nil {
		return teamevents.ShareAck{}, err
	}
	return teamevents.ShareAck{ID: shared.ID, Ts: shared.Ts}, nil
}

// Typing tells the room's other members that the sender started or stopped
// typing; an absent active means it started. It has no ack: a sender outside
// the room gets not_member as eventwire:error.
func (t *teamchat) Typing(ctx context.Context, c *teamevents.Conn, room teamevents.RoomName, active *bool) error {
	if !slices.Contains(c.Rooms(), string(room)) {
		return errNotMember(room)
	}
	return c.To(string(room)).EmitTypingStatus(room, t.nameOf(c), active == nil || *active)
}

// Presence sets the sender's status in each room named, all of which it
// must have joined, tells the rooms' other members, and replies with each
// room's presence: its members' statuses by user name, on every node.
func (t *teamchat) Presence(ctx context.Context, c *teamevents.Conn, m teamevents.Presence) (map[string]teamevents.RoomPresence, error) {
	rooms := slices.Sorted(maps.Keys(m.Statuses))
	for _, room := range rooms {
		if !slices.Contains(c.Rooms(), room) {
			return nil, errNotMember(teamevents.RoomName(room))
		}
	}
	mine, _ := statuses.Get(c.Conn)
	mine = maps.Clone(mine) // the stored map is never changed: other nodes read it as it was set
	if mine == nil {
		mine = map[string]setStatus{}
	}
	at := setAt()
	for room, status := range m.Statuses {
		mine[room] = setStatus{Status: status, At: at}
	}
	statuses.Set(c.Conn, mine)
	for _, room := range rooms {
		changed := teamevents.PresenceChanged{Room: teamevents.RoomName(room), Name: t.nameOf(c), Status: m.Statuses[room]}
		if err := c.To(room).EmitPresenceChanged(changed); err != nil {
			return nil, err
		}
	}
	// One deadline for the whole ack, and the rooms asked at once: a node
	// that does not answer then costs membersWait once, not once per room
	// (up to 20 of them, past the client's ack timeout), and a connection's
	// handlers run one at a time, so the wait would hold up its next events.
	ctx, cancel := context.WithTimeout(ctx, membersWait)
	defer cancel()
	each := make([]teamevents.RoomPresence, len(rooms))
	var wg sync.WaitGroup
	for i, room := range rooms {
		wg.Go(func() { each[i] = t.presence(ctx, room) })
	}
	wg.Wait()
	out := make(map[string]teamevents.RoomPresence, len(rooms))
	for i, room := range rooms {
		out[room] = each[i]
	}
	return out, nil
}

// forgetAvailability drops what presence set for a room the sender left,
// so it is online again when it rejoins.
func forgetAvailability(c *teamevents.Conn, room string) {
	mine, _ := statuses.Get(c.Conn)
	if _, set := mine[room]; !set {
		return
	}
	mine = maps.Clone(mine) // as in Presence: the stored map is never changed
	delete(mine, room)
	statuses.Set(c.Conn, mine)
}

// presence is a room's members' statuses by name, on every node, as far as
// they answer before ctx ends (the caller's deadline: it sets none). A name
// with several connections in the room has the status set last on any of
// them (on the same At, the greater status, so the answer does not depend
// on the order of the connections); a name none of whose connections set
// one is online.
func (t *teamchat) presence(ctx context.Context, room string) teamevents.RoomPresence {
	sockets, _ := t.srv.ClusterRoomMembers(ctx, room) // with an error: those that answered
	latest := map[teamevents.UserName]setStatus{}
	for _, s := range sockets {
		name, ok := t.name.Remote(s)
		if !ok {
			continue
		}
		set, _ := statuses.Remote(s)
		got, seen := latest[name]
		if mine, ok := set[room]; ok && (!seen || mine.At > got.At || mine.At == got.At && mine.Status > got.Status) {
			latest[name] = mine
		} else if !seen {
			latest[name] = setStatus{} // online, unless another connection set one
		}
	}
	out := teamevents.RoomPresence{}
	for name, set := range latest {
		out[string(name)] = cmp.Or(set.Status, teamevents.AvailabilityOnline)
	}
	return out
}

// disconnected tells the members of every room the user was in that they left.
func (t *teamchat) disconnected(c *teamevents.Conn, reason string) {
	for _, room := range c.Rooms() {
		if isUserRoom(room) {
			continue
		}
		_ = t.srv.To(room).EmitMemberLeft(teamevents.MemberLeft{Room: teamevents.RoomName(room), Name: t.nameOf(c)})
	}
}
