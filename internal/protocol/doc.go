// Package protocol encodes and decodes the text frames of Socket.IO v5 over
// Engine.IO v4, the wire eventwire speaks on its WebSocket transport.
//
// It does no I/O and keeps no state: the middleware hands it one WebSocket
// text frame at a time and writes the bytes it returns. Decoding is strict,
// because frames come from untrusted clients: every length and number is
// bounded, and nothing recurses on input. Decoded packets alias the input
// buffer instead of copying it, and the Append functions write into a caller's
// buffer so a hot path can reuse one.
//
// An inbound frame whose first byte is Message carries a Socket.IO packet:
//
//	p, err := protocol.Decode(frame[1:]) // err wraps ErrInvalidPacket
//	if p.Type == protocol.Event {
//		name, args, err := protocol.SplitEvent(p.Data)
//		...
//	}
//
// Outbound events are encoded once and the same bytes go to every recipient:
//
//	buf = protocol.AppendEvent(buf[:0], "/", false, 0, "chat", payload)
package protocol
