package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eventwire/eventwire/internal/protocol"
)

// Operator emits to a set of connected sockets: Server.Broadcast (all) or
// Conn.Broadcast (all but one). It is a small value; copy it freely.
type Operator struct {
	s      *Server
	except *Conn
}

// Emit encodes the event frame once and queues the same bytes to every
// recipient; a recipient that is closing is skipped. It fails if the schema
// does not let the server send event, the arguments do not encode, or the
// server is closed.
func (o Operator) Emit(event string, args ...any) error {
	if o.s == nil {
		return errors.New("eventwire: emit on a zero Operator")
	}
	frame, err := o.s.encodeEmit(event, args)
	if err != nil {
		return err
	}
	recipients, err := o.s.recipients(o.except)
	if err != nil {
		return err
	}
	for _, c := range recipients {
		_ = c.sess.Write(frame) // a closed session's error means it left; skipping it is right
	}
	return nil
}

// encodeEmit checks that the server may send event with these arguments and
// encodes its frame.
func (s *Server) encodeEmit(event string, args []any) ([]byte, error) {
	e := s.events[event]
	switch {
	case e == nil:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, event)
	case !e.ServerSends:
		return nil, fmt.Errorf("%w: the server may not send %q", ErrNotAllowed, event)
	}
	want := 0
	if e.Payload != nil {
		want = 1
	}
	if len(args) != want {
		return nil, fmt.Errorf("eventwire: emit %q: takes %d argument(s), got %d", event, want, len(args))
	}
	return encodeEvent(event, args)
}

// encodeEvent marshals each argument once and builds `42["event",args...]`.
// HTML characters are not escaped: the frame is JSON read by JSON.parse, never
// HTML, and escaping would grow chat text such as "<b>" sixfold.
func encodeEvent(event string, args []any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	ends := make([]int, len(args))
	for i, a := range args {
		if err := enc.Encode(a); err != nil {
			return nil, fmt.Errorf("eventwire: emit %q: argument %d: %w", event, i, err)
		}
		ends[i] = buf.Len() - 1 // Encode ends each value with a newline
	}
	all := buf.Bytes()
	raw := make([][]byte, len(args))
	start := 0
	for i, end := range ends {
		raw[i] = all[start:end]
		start = end + 1
	}
	return protocol.AppendEvent(make([]byte, 0, len(all)+len(event)+8), "/", false, 0, event, raw...), nil
}
