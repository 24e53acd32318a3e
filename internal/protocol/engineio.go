package protocol

import "strconv"

// Engine.IO packet types: the first byte of every text frame.
const (
	Open    byte = '0'
	Close   byte = '1'
	Ping    byte = '2'
	Pong    byte = '3'
	Message byte = '4'
	Upgrade byte = '5'
	Noop    byte = '6'
)

// OpenPacket is the Engine.IO handshake the server sends as its first frame.
// Durations are in milliseconds, as the Engine.IO client expects.
type OpenPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}

// AppendOpen appends the open frame `0{"sid":...}` to dst. Nil Upgrades are
// written as [] because the Engine.IO client iterates the field and would
// fail on null.
func AppendOpen(dst []byte, o OpenPacket) []byte {
	dst = append(dst, Open)
	dst = append(dst, `{"sid":`...)
	dst = appendJSONString(dst, o.SID)
	dst = append(dst, `,"upgrades":[`...)
	for i, u := range o.Upgrades {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, u)
	}
	dst = append(dst, `],"pingInterval":`...)
	dst = strconv.AppendInt(dst, o.PingInterval, 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, o.PingTimeout, 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, o.MaxPayload, 10)
	return append(dst, '}')
}
