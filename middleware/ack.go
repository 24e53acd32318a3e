package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eventwire/eventwire/internal/protocol"
)

// Errors of EmitWithAck.
var (
	// ErrAckTimeout: the context ended before the client replied; the error
	// wraps ctx.Err() too.
	ErrAckTimeout = errors.New("eventwire: ack timeout")
	// ErrDisconnected: the connection ended (or was not connected) before
	// the client replied.
	ErrDisconnected = errors.New("eventwire: disconnected")
)

// maxAckID is the largest ack id, 2^53-1, so a JavaScript number holds it.
const maxAckID = 1<<53 - 1

// EmitWithAck sends event to c with an ack id and waits for the client's
// reply, the Ack the schema declares: it returns the reply decoded into R
// once it passed the Ack's Shape check and validation (Struct for structs,
// Var(v, Event.AckTag) otherwise). It blocks until the reply arrives, ctx
// ends (ErrAckTimeout, wrapping ctx.Err(): give ctx a deadline) or the
// connection ends (ErrDisconnected); ErrSlowConsumer when the event could
// not be queued because the connection's outbound buffer was full. A reply `{"error":{...}}` is returned
// as that *Error; a reply that is not `{"data":...}` or `{"error":{...}}`,
// or whose data breaks the schema, is an *Error with code invalid_payload
// and one Detail per problem.
//
// Only events the server may send and that declare an Ack qualify, and R
// must hold the Ack's JSON type. Ack ids count up from 0 per connection;
// a reply nobody waits for any more (after a timeout) is ignored. Calling
// it from a handler or OnConnect blocks the connection's read loop, which
// the reply needs: run it on another goroutine there.
func EmitWithAck[R any](ctx context.Context, c *Conn, event string, args ...any) (R, error) {
	var zero R
	e, err := c.s.ackEvent(event)
	if err != nil {
		return zero, err
	}
	if err := checkReplyType[R]("emit", event, e.Ack); err != nil {
		return zero, err
	}
	raw, err := encodeArgs(e, args)
	if err != nil {
		return zero, err
	}
	if err := c.s.checkOutbound(e, args, raw); err != nil {
		return zero, err
	}
	// Before an id is reserved: a packet that cannot be built leaves no waiter.
	raw, atts, err := e.moveBytes(raw)
	if err != nil {
		return zero, err
	}
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%w: %w", ErrAckTimeout, err)
	}
	c.s.observeEmitted(event)
	id, ch, ok := c.awaitAck()
	if !ok {
		return zero, ErrDisconnected
	}
	if err := c.write(eventPacketOf(c.s.name, event, true, id, raw, atts)); err != nil {
		c.dropAck(id)
		if errors.Is(err, ErrSlowConsumer) {
			return zero, err // the event never left: no reply can come
		}
		return zero, ErrDisconnected
	}
	select {
	case reply, ok := <-ch:
		if !ok {
			return zero, ErrDisconnected
		}
		return decodeAckReply[R](ctx, c.s, e, reply)
	case <-ctx.Done():
		c.dropAck(id)
		c.s.ackTimeouts.Add(1)
		return zero, fmt.Errorf("%w: %w", ErrAckTimeout, ctx.Err())
	}
}

// ackEvent looks up an event the server may send with an ack.
func (s *Server) ackEvent(event string) (*eventEntry, error) {
	e, err := s.event(event, byServer)
	if err == nil && e.Ack == nil {
		return nil, fmt.Errorf("eventwire: emit %q: the event declares no ack; use Emit", event)
	}
	return e, err
}

// awaitAck reserves the next ack id and the channel its reply comes on;
// ok is false once the connection ended.
func (c *Conn) awaitAck() (id uint64, ch chan []byte, ok bool) {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	if c.acksEnded {
		return 0, nil, false
	}
	if c.acks == nil {
		c.acks = make(map[uint64]chan []byte)
	}
	id = c.ackNext
	c.ackNext = (c.ackNext + 1) & maxAckID // wraps after 2^53 acks: never in practice
	ch = make(chan []byte, 1)
	c.acks[id] = ch
	return id, ch, true
}

func (c *Conn) dropAck(id uint64) {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	delete(c.acks, id)
}

// deliverAck hands a reply to its waiting EmitWithAck; it reports false for
// an id nobody waits for.
func (c *Conn) deliverAck(id uint64, reply []byte) bool {
	c.ackMu.Lock()
	ch, ok := c.acks[id]
	delete(c.acks, id)
	c.ackMu.Unlock()
	if ok {
		ch <- reply // buffered, and removed from the map: the only send
	}
	return ok
}

// endAcks releases every waiting EmitWithAck with ErrDisconnected and
// refuses new ones; it runs when the connection starts closing or ends.
func (c *Conn) endAcks() {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	c.acksEnded = true
	for id, ch := range c.acks {
		close(ch)
		delete(c.acks, id)
	}
}

// onAck routes a client's ACK to the EmitWithAck waiting for it.
func (s *core) onAck(e *session, p protocol.Packet) {
	c := e.Data.socket(p.Namespace)
	switch {
	case c == nil || c.currentState() == stateOpen:
		// socket.io closes the connection on a packet in an invalid state.
		e.ProtocolError(fmt.Errorf("ACK for namespace %q, which is not connected", p.Namespace))
		return
	case c.currentState() != stateConnected:
		return // the socket is ending: the ack is late
	}
	reply := append([]byte(nil), p.Data...) // p.Data aliases the frame
	if c.deliverAck(p.ID, reply) {
		return
	}
	n := s.strayAcks.Add(1)
	s.log.Debug("eventwire: ack for no waiting emit ignored", append(c.logAttrs(), "ack_id", p.ID, "stray_acks", n)...)
}

// decodeAckReply checks a client's ACK arguments, `[{"data":...}]` or
// `[{"error":{...}}]`, and decodes the data into R.
func decodeAckReply[R any](ctx context.Context, s *Server, e *eventEntry, reply []byte) (R, error) {
	var zero R
	data, remote, invalid := s.replies.split(reply)
	switch {
	case invalid != nil:
		return zero, invalid
	case remote != nil:
		return zero, remote
	}
	var w shapeWalker
	w.value(e.Ack, data, "", "required")
	if len(w.details) > 0 {
		return zero, errInvalidReply(w.details)
	}
	var v R
	err := s.guard("validating an ack reply", func() error {
		var decoded bool
		var err error
		if v, decoded, err = decodeValid[R](ctx, s.valid, data, e.AckTag); !decoded {
			// The Shape check passed, so R does not match the schema.
			return fmt.Errorf("eventwire: decode the reply to %q into %T: %w", e.Name, v, err)
		}
		return err
	}, func() []any { return []any{"event", e.Name} })
	var we *Error
	var p *panicError
	switch {
	case errors.As(err, &we):
		we.Message = invalidReplyMessage
	case errors.As(err, &p):
		return zero, fmt.Errorf("eventwire: emit %q: bad validation tag on %T: %v", e.Name, v, p.value)
	}
	if err != nil {
		return zero, err
	}
	return v, nil
}

const invalidReplyMessage = "invalid ack reply"

func errInvalidReply(details []Detail) *Error {
	return &Error{Code: codeInvalidPayload, Message: invalidReplyMessage, Details: details}
}

// replyShapes are the Shapes of the ack envelope, built once per Server.
type replyShapes struct {
	envelope *Shape // {"data":..} or {"error":..}; which one is checked apart
	err      *Shape // an Error object
}

func newReplyShapes() replyShapes {
	str := func() *Shape { return &Shape{Kind: KindString} }
	detail := &Shape{Kind: KindObject, Fields: []FieldShape{
		{Name: "field", Required: true, Shape: str()},
		{Name: "rule", Required: true, Shape: str()},
		{Name: "param", Shape: str()},
		{Name: "message", Required: true, Shape: str()},
	}}
	errShape := &Shape{Kind: KindObject, Fields: []FieldShape{
		{Name: "code", Required: true, Shape: str()},
		{Name: "message", Required: true, Shape: str()},
		{Name: "details", Shape: &Shape{Kind: KindArray, Items: detail}},
	}}
	return replyShapes{
		envelope: &Shape{Kind: KindObject, Fields: []FieldShape{{Name: "data"}, {Name: "error", Shape: errShape}}},
		err:      errShape,
	}
}

// splitReply takes the ACK arguments apart. It returns the raw data of a
// success, or the *Error the client sent, or an invalid_payload *Error
// whose details name what is wrong with the envelope (fields are relative
// to the envelope: "error.code").
func (rs replyShapes) split(reply []byte) (data json.RawMessage, remote, invalid *Error) {
	var args []json.RawMessage
	if json.Unmarshal(reply, &args) != nil || len(args) != 1 || !kindMatches(KindObject, bytes.TrimSpace(args[0])) {
		return nil, nil, errInvalidReply([]Detail{newDetail("", "type", "object")})
	}
	members, unknown, ok := splitObject(rs.envelope, bytes.TrimSpace(args[0]))
	if !ok { // a key twice
		return nil, nil, errInvalidReply([]Detail{newDetail("", "type", "object")})
	}
	var w shapeWalker
	for _, key := range unknown {
		w.add(key, "unknown", "")
	}
	rawData, hasData := members["data"]
	rawErr, hasErr := members["error"]
	switch {
	case hasData && hasErr: // a success and a failure at once: neither can be believed
		w.details = append(w.details, Detail{Field: "", Rule: "type", Param: "object",
			Message: `payload must hold "data" or "error", not both`})
	case hasErr:
		w.value(rs.err, rawErr, "error", "required")
	case !hasData:
		w.add("data", "required", "")
	}
	if len(w.details) > 0 {
		return nil, nil, errInvalidReply(w.details)
	}
	if hasData {
		return rawData, nil, nil
	}
	remote = new(Error)
	if json.Unmarshal(rawErr, remote) != nil || remote.Code == "" { // the shape was checked: only "" is left
		return nil, nil, errInvalidReply([]Detail{newDetail("error.code", "minLength", "1")})
	}
	return nil, remote, nil
}
