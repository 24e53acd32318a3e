package middleware

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
)

// shapeHoldsBytes reports whether sh has a bytes value anywhere.
func shapeHoldsBytes(sh *Shape) bool {
	switch {
	case sh == nil:
		return false
	case sh.Kind == KindBytes:
		return true
	case sh.Kind == KindArray:
		return shapeHoldsBytes(sh.Items)
	}
	for _, f := range sh.Fields {
		if shapeHoldsBytes(f.Shape) {
			return true
		}
	}
	return false
}

// argsHoldBytes reports whether the payload or an argument of ev holds bytes.
func argsHoldBytes(ev Event) bool {
	if shapeHoldsBytes(ev.Payload) {
		return true
	}
	for _, a := range ev.Args {
		if shapeHoldsBytes(a.Shape) {
			return true
		}
	}
	return false
}

// eventPacket builds the frame of an event the server sends from its
// encoded arguments: `42…`, or `45<n>-…` with the bytes values moved into
// attachments when the event's schema holds bytes.
func (s *Server) eventPacket(e *eventEntry, hasID bool, id uint64, raw [][]byte) (engineio.Packet, error) {
	args, atts, err := e.moveBytes(raw)
	if err != nil {
		return engineio.Packet{}, err
	}
	return eventPacketOf(s.name, e.Name, hasID, id, args, atts), nil
}

func eventPacketOf(namespace, event string, hasID bool, id uint64, args, atts [][]byte) engineio.Packet {
	if len(atts) == 0 {
		return engineio.Text(eventFrame(namespace, event, hasID, id, args))
	}
	return engineio.Packet{Text: protocol.AppendBinaryEvent(nil, namespace, hasID, id, event, len(atts), args...), Atts: atts}
}

// moveBytes returns the encoded arguments with their bytes values replaced
// by placeholders, and the attachments; raw as it is for events without bytes.
func (e *eventEntry) moveBytes(raw [][]byte) (args, atts [][]byte, err error) {
	if !e.argsBinary {
		return raw, nil, nil
	}
	var x attachmentExtractor
	args = make([][]byte, len(raw))
	for i, r := range raw {
		sh := e.Payload
		if e.Args != nil {
			sh = e.Args[i].Shape
		}
		if args[i], err = x.extract(sh, r); err != nil {
			return nil, nil, fmt.Errorf("eventwire: emit %q: %w", e.Name, err)
		}
	}
	return args, x.atts, nil
}

// ackPacket builds the successful ack reply {"data":…} to an inbound event,
// as a BINARY_ACK when the event's ack holds bytes.
func (s *Server) ackPacket(e *eventEntry, id uint64, data []byte) (engineio.Packet, error) {
	if e == nil || !e.ackBinary || data == nil {
		return engineio.Text(protocol.AppendAck(nil, s.name, id, dataEnvelope(data))), nil
	}
	var x attachmentExtractor
	moved, err := x.extract(e.Ack, data)
	if err != nil {
		return engineio.Packet{}, fmt.Errorf("eventwire: the reply of %q: %w", e.Name, err)
	}
	frame := protocol.AppendBinaryAck(nil, s.name, id, len(x.atts), dataEnvelope(moved))
	return engineio.Packet{Text: frame, Atts: x.atts}, nil
}

// attachmentExtractor moves the bytes values out of JSON that
// encoding/json wrote for a value of a Shape: each base64 string where the
// Shape has bytes becomes the placeholder {"_placeholder":true,"num":i} and
// its decoded bytes attachment i. The walk follows the Shape, so its depth is
// the Shape's; parts of the Shape without bytes are copied as they are.
type attachmentExtractor struct {
	atts [][]byte
}

func (x *attachmentExtractor) extract(sh *Shape, raw []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := x.value(&out, sh, bytes.TrimSpace(raw), ""); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (x *attachmentExtractor) value(out *bytes.Buffer, sh *Shape, raw []byte, path string) error {
	switch {
	case string(raw) == "null" || !shapeHoldsBytes(sh):
		out.Write(raw)
		return nil
	case sh.Kind == KindBytes:
		var b []byte
		if err := json.Unmarshal(raw, &b); err != nil {
			return fmt.Errorf("%s: bytes must be a []byte, got JSON %.20s", where(path), raw)
		}
		out.WriteString(`{"_placeholder":true,"num":`)
		out.WriteString(strconv.Itoa(len(x.atts)))
		out.WriteByte('}')
		x.atts = append(x.atts, b)
		return nil
	case sh.Kind == KindArray:
		return x.array(out, sh, raw, path)
	}
	return x.object(out, sh, raw, path)
}

func (x *attachmentExtractor) array(out *bytes.Buffer, sh *Shape, raw []byte, path string) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("%s: want an array: %w", where(path), err)
	}
	out.WriteByte('[')
	for i, item := range items {
		if i > 0 {
			out.WriteByte(',')
		}
		if err := x.value(out, sh.Items, item, path+"["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	out.WriteByte(']')
	return nil
}

func (x *attachmentExtractor) object(out *bytes.Buffer, sh *Shape, raw []byte, path string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%s: want an object, got JSON %.20s", where(path), raw)
	}
	out.WriteByte('{')
	for first := true; dec.More(); first = false {
		tok, err := dec.Token()
		key, isKey := tok.(string)
		var v json.RawMessage
		if err != nil || !isKey || dec.Decode(&v) != nil {
			return fmt.Errorf("%s: malformed object", where(path))
		}
		if !first {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		out.Write(k)
		out.WriteByte(':')
		if err := x.value(out, fieldShape(sh, key), v, joinField(path, key)); err != nil {
			return err
		}
	}
	out.WriteByte('}')
	return nil
}

// fieldShape is the Shape of sh's field name, nil for a key sh does not
// declare (copied as it is).
func fieldShape(sh *Shape, name string) *Shape {
	if f := field(sh, name); f != nil {
		return f.Shape
	}
	return nil
}

// where names a value in an error: the whole value, or a field path.
func where(path string) string {
	if path == "" {
		return "the value"
	}
	return "field " + path
}
