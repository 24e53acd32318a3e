package main

import (
	"context"
	"slices"
	"time"

	"github.com/eventwire/eventwire/examples/teamchat/teamevents"
)

// Status tells the room's other members the sender's status: since keeps the
// offset the client wrote it with (a time.Time marshals it back), meta goes
// on as the client sent it, absent when it sent none or null. The ack is the
// server's time, in UTC.
func (t *teamchat) Status(ctx context.Context, c *teamevents.Conn, m teamevents.Status) (time.Time, error) {
	if !slices.Contains(c.Rooms(), string(m.Room)) {
		return time.Time{}, errNotMember(m.Room)
	}
	changed := teamevents.StatusChanged{Room: m.Room, Name: t.nameOf(c), Since: m.Since, Meta: m.Meta}
	if err := c.To(string(m.Room)).EmitStatusChanged(changed); err != nil {
		return time.Time{}, err
	}
	return time.Now().UTC(), nil
}
