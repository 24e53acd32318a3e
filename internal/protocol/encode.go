package protocol

import (
	"strconv"
	"unicode/utf8"
)

// Append writes the Engine.IO message frame: '4' + Socket.IO packet. It
// trusts p (a Packet from Decode, or one built by the caller with a valid type
// and a namespace without ','); Attachments is written for binary types only.
func Append(dst []byte, p Packet) []byte {
	dst = append(dst, Message, '0'+byte(p.Type))
	if p.Type.binary() {
		dst = strconv.AppendInt(dst, int64(p.Attachments), 10)
		dst = append(dst, '-')
	}
	dst = appendNamespace(dst, p.Namespace)
	if p.HasID {
		dst = strconv.AppendUint(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

// AppendEvent writes `42[<ns>,][<id>]["name",arg1,...]` from already-encoded
// JSON args, so a broadcast encodes its payload once and shares the bytes.
// An empty arg is written as null rather than producing invalid JSON.
func AppendEvent(dst []byte, namespace string, hasID bool, id uint64, name string, args ...[]byte) []byte {
	return AppendBinaryEvent(dst, namespace, hasID, id, name, 0, args...)
}

// AppendBinaryEvent is AppendEvent for an event whose args hold
// attachments placeholders: with attachments > 0 it writes the BINARY_EVENT
// `45<attachments>-[<ns>,][<id>]["name",...]`, which the caller follows with
// that many binary frames; with 0, the plain EVENT.
func AppendBinaryEvent(dst []byte, namespace string, hasID bool, id uint64, name string, attachments int, args ...[]byte) []byte {
	dst = appendHead(dst, Event, attachments, namespace)
	if hasID {
		dst = strconv.AppendUint(dst, id, 10)
	}
	dst = append(dst, '[')
	dst = appendJSONString(dst, name)
	for _, a := range args {
		dst = append(dst, ',')
		dst = appendArg(dst, a)
	}
	return append(dst, ']')
}

// AppendAck writes `43[<ns>,]<id>[arg...]`; with no args the reply is [].
func AppendAck(dst []byte, namespace string, id uint64, args ...[]byte) []byte {
	return AppendBinaryAck(dst, namespace, id, 0, args...)
}

// AppendBinaryAck is AppendAck with attachments: the BINARY_ACK
// `46<attachments>-[<ns>,]<id>[arg...]` when attachments > 0.
func AppendBinaryAck(dst []byte, namespace string, id uint64, attachments int, args ...[]byte) []byte {
	dst = appendHead(dst, Ack, attachments, namespace)
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, '[')
	for i, a := range args {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendArg(dst, a)
	}
	return append(dst, ']')
}

// appendHead writes the Engine.IO message type, the packet type t (Event or
// Ack; its binary form when attachments > 0, with the count) and the
// namespace.
func appendHead(dst []byte, t PacketType, attachments int, namespace string) []byte {
	if attachments <= 0 {
		dst = append(dst, Message, '0'+byte(t))
		return appendNamespace(dst, namespace)
	}
	if t == Event {
		t = BinaryEvent
	} else {
		t = BinaryAck
	}
	dst = append(dst, Message, '0'+byte(t))
	dst = strconv.AppendInt(dst, int64(attachments), 10)
	dst = append(dst, '-')
	return appendNamespace(dst, namespace)
}

// appendNamespace writes `ns,` unless ns is the default namespace, which the
// wire leaves implicit.
func appendNamespace(dst []byte, ns string) []byte {
	if ns == "" || ns == "/" {
		return dst
	}
	dst = append(dst, ns...)
	return append(dst, ',')
}

func appendArg(dst, a []byte) []byte {
	if len(a) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, a...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string without allocating. Invalid
// UTF-8 becomes U+FFFD, as encoding/json does; U+2028 and U+2029 are escaped
// so the frame is also safe to embed in JavaScript source.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending and needs no escaping
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscapedByte(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
