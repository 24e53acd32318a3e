package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// PacketType is the Socket.IO packet type, the first byte of an Engine.IO
// message payload.
type PacketType byte

// Socket.IO v5 packet types.
const (
	Connect PacketType = iota
	Disconnect
	Event
	Ack
	ConnectError
	BinaryEvent
	BinaryAck
)

// String returns the name the Socket.IO specification uses, e.g. "CONNECT_ERROR".
func (t PacketType) String() string {
	switch t {
	case Connect:
		return "CONNECT"
	case Disconnect:
		return "DISCONNECT"
	case Event:
		return "EVENT"
	case Ack:
		return "ACK"
	case ConnectError:
		return "CONNECT_ERROR"
	case BinaryEvent:
		return "BINARY_EVENT"
	case BinaryAck:
		return "BINARY_ACK"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

func (t PacketType) binary() bool { return t == BinaryEvent || t == BinaryAck }

// takesID reports whether an ack id is meaningful for the type; the reference
// parser reads one anywhere, but on CONNECT or DISCONNECT it is noise at best.
func (t PacketType) takesID() bool { return t == Event || t == Ack || t.binary() }

const (
	// MaxAckID is the largest ack id accepted and written: 2^53-1, the
	// largest integer a JavaScript peer holds exactly.
	MaxAckID = 1<<53 - 1
	// MaxAttachments bounds the binary attachments one packet may announce,
	// so a peer cannot make the receiver wait for (and buffer) many frames.
	MaxAttachments = 10
	// MaxEventArgs bounds the arguments SplitEvent returns after the event
	// name. eventwire events carry one; the bound keeps the returned slice
	// small whatever the frame holds.
	MaxEventArgs = 32

	maxIDDigits         = 16 // len("9007199254740991")
	maxAttachmentDigits = 2
)

// Packet is one decoded Socket.IO packet.
type Packet struct {
	Type        PacketType
	Namespace   string // "/" when absent on the wire
	HasID       bool
	ID          uint64 // ack id (at most 2^53-1 so JS can hold it)
	Attachments int    // binary types only
	Data        []byte // the JSON after the header, nil when absent; aliases the input
}

// ErrInvalidPacket is wrapped by every decoding error: the frame breaks the
// protocol and the connection should be closed (WebSocket code 1002).
var ErrInvalidPacket = errors.New("eventwire: invalid packet")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidPacket, fmt.Sprintf(format, args...))
}

// Decode parses one Socket.IO packet: the Engine.IO message payload, i.e. the
// frame WITHOUT its leading '4'. The wire form is
//
//	<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
//
// It checks the type, that attachments appear exactly on binary types, the
// namespace syntax, that an ack id appears only on event and ack types (and
// always on acks) within MaxAckID, and that the payload is valid JSON of the
// shape the type requires. Errors wrap ErrInvalidPacket.
func Decode(msg []byte) (Packet, error) {
	if len(msg) == 0 {
		return Packet{}, invalid("empty packet")
	}
	if msg[0] < '0' || msg[0] > '0'+byte(BinaryAck) {
		return Packet{}, invalid("unknown packet type %q", msg[0])
	}
	p := Packet{Type: PacketType(msg[0] - '0'), Namespace: "/"}
	rest := msg[1:]
	var err error
	if p.Type.binary() {
		if p.Attachments, rest, err = decodeAttachments(rest); err != nil {
			return Packet{}, err
		}
	}
	if p.Namespace, rest, err = decodeNamespace(rest); err != nil {
		return Packet{}, err
	}
	if p.HasID, p.ID, rest, err = decodeID(p.Type, rest); err != nil {
		return Packet{}, err
	}
	if len(rest) > 0 {
		p.Data = rest[:len(rest):len(rest)] // a caller's append must not write into msg
	}
	if err := checkPayload(p.Type, p.Data); err != nil {
		return Packet{}, err
	}
	return p, nil
}

// leadingDigits returns the length of the run of ASCII digits at the start of b.
func leadingDigits(b []byte) int {
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	return n
}

// parseDigits converts b, all ASCII digits and at most 19 of them, so the
// result cannot overflow a uint64.
func parseDigits(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v*10 + uint64(c-'0')
	}
	return v
}

func decodeAttachments(b []byte) (int, []byte, error) {
	n := leadingDigits(b)
	switch {
	case n == 0:
		return 0, nil, invalid("binary packet without attachment count")
	case n > maxAttachmentDigits:
		return 0, nil, invalid("more than %d attachments", MaxAttachments)
	case n == len(b) || b[n] != '-':
		return 0, nil, invalid("attachment count not terminated by '-'")
	}
	count := parseDigits(b[:n])
	if count > MaxAttachments {
		return 0, nil, invalid("more than %d attachments", MaxAttachments)
	}
	return int(count), b[n+1:], nil
}

// decodeNamespace reads `/name,`, or `/name` up to the end of the packet
// (`40/admin`), as socket.io's parser does. That parser has no escape for
// ',', so the first comma ends the namespace; control bytes and invalid
// UTF-8 are refused because the name reaches logs and lookups.
func decodeNamespace(b []byte) (string, []byte, error) {
	if len(b) == 0 || b[0] != '/' {
		return "/", b, nil
	}
	end := -1
	for i, c := range b {
		if c == ',' {
			end = i
			break
		}
		if c < 0x20 || c == 0x7f {
			return "", nil, invalid("namespace contains a control character")
		}
	}
	rest := []byte(nil)
	if end < 0 {
		end = len(b) // no payload: the namespace runs to the end
	} else {
		rest = b[end+1:]
	}
	ns := b[:end]
	if !utf8.Valid(ns) {
		return "", nil, invalid("namespace is not valid UTF-8")
	}
	if len(ns) == 1 {
		return "/", rest, nil // the default namespace spelled out costs no allocation
	}
	return string(ns), rest, nil
}

func decodeID(t PacketType, b []byte) (bool, uint64, []byte, error) {
	n := leadingDigits(b)
	if n == 0 {
		if t == Ack || t == BinaryAck {
			return false, 0, nil, invalid("%v packet without ack id", t)
		}
		return false, 0, b, nil
	}
	if n < len(b) && b[n] == '-' {
		if t.binary() {
			return false, 0, nil, invalid("second attachment count")
		}
		return false, 0, nil, invalid("%v packet cannot carry attachments", t)
	}
	if !t.takesID() {
		return false, 0, nil, invalid("%v packet cannot carry an ack id", t)
	}
	if n > maxIDDigits {
		return false, 0, nil, invalid("ack id exceeds 2^53-1")
	}
	id := parseDigits(b[:n])
	if id > MaxAckID {
		return false, 0, nil, invalid("ack id exceeds 2^53-1")
	}
	return true, id, b[n:], nil
}

// checkPayload enforces the payload shape the Socket.IO specification gives
// each type, so handlers never see a frame the reference client would refuse.
func checkPayload(t PacketType, data []byte) error {
	if data != nil && !json.Valid(data) {
		return invalid("%v payload is not valid JSON", t)
	}
	first := firstByte(data)
	switch t {
	case Connect:
		if data != nil && first != '{' {
			return invalid("CONNECT payload must be a JSON object")
		}
	case Disconnect:
		if data != nil {
			return invalid("DISCONNECT packet must have no payload")
		}
	case Event, BinaryEvent:
		if first != '[' || firstByte(data[skipSpace(data, 0)+1:]) != '"' {
			return invalid("%v payload must be a JSON array starting with the event name", t)
		}
	case Ack, BinaryAck:
		if first != '[' {
			return invalid("%v payload must be a JSON array", t)
		}
	case ConnectError:
		if first != '{' {
			return invalid("CONNECT_ERROR payload must be a JSON object")
		}
	}
	return nil
}

// firstByte returns the first non-whitespace byte of b, or 0 if there is none.
func firstByte(b []byte) byte {
	if i := skipSpace(b, 0); i < len(b) {
		return b[i]
	}
	return 0
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}
