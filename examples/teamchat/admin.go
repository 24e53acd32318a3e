package main

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/eventwire/eventwire/examples/teamchat/teamevents"
	"github.com/eventwire/eventwire/middleware"
)

// moderators handle namespace /admin: a moderator connects with the
// server's admin token (socket.io-client: io(url + "/admin", {auth: {token}}),
// sharing the chat's WebSocket) and announces to every chat user or kicks
// one by name.
type moderators struct {
	chat  *teamchat
	token string // empty: nobody is a moderator
}

// userRoomPrefix starts the room each chat connection joins under its
// user's name, so a kick reaches every connection of the name. Chat rooms
// cannot start with it: a RoomName has no ':'.
const userRoomPrefix = "user:"

func userRoom(name teamevents.UserName) string { return userRoomPrefix + string(name) }

func isUserRoom(room string) bool { return strings.HasPrefix(room, userRoomPrefix) }

// authorize admits the holders of the token, compared in constant time.
func (m *moderators) authorize(ctx context.Context, c *teamevents.AdminConn, a teamevents.AdminAuth) error {
	if m.token == "" || subtle.ConstantTimeCompare([]byte(a.Token), []byte(m.token)) != 1 {
		return middleware.NewError("forbidden", "not a moderator")
	}
	return nil
}

// Announce sends the text to every chat user.
func (m *moderators) Announce(ctx context.Context, c *teamevents.AdminConn, a teamevents.AdminAnnounce) error {
	return m.chat.srv.Broadcast().EmitAnnouncement(teamevents.Announcement{Text: a.Text})
}

// Kick disconnects every chat connection of the name, on every node of a
// cluster (they leave their rooms as on any disconnect), and tells the other
// moderators. The count asks every node, for at most kickWait.
func (m *moderators) Kick(ctx context.Context, c *teamevents.AdminConn, k teamevents.AdminKick) (teamevents.AdminKickAck, error) {
	room := userRoom(k.Name)
	ctx, cancel := context.WithTimeout(ctx, kickWait)
	defer cancel()
	members, err := m.chat.srv.ClusterRoomMembers(ctx, room)
	if err != nil {
		return teamevents.AdminKickAck{}, err
	}
	if err := m.chat.srv.To(room).Disconnect(); err != nil {
		return teamevents.AdminKickAck{}, err
	}
	err = c.Broadcast().EmitKicked(teamevents.AdminKicked{Name: k.Name, By: c.ID()})
	return teamevents.AdminKickAck{Kicked: int64(len(members))}, err
}

// kickWait bounds how long Kick waits for the other nodes' counts.
const kickWait = 2 * time.Second
