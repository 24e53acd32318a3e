package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The envelope is what nodes publish to each other (docs/CLUSTER.md):
//
//	version    byte, envelopeVersion
//	origin     string: the publishing node's id
//	count      uvarint: records that follow, at least 1
//	record...  each: kind byte, flags byte, id uvarint, num uvarint,
//	           namespace string, to strings, except strings,
//	           exceptID string, args strings, text bytes, atts bytes-list
//
// A string or bytes value is a uvarint length and its bytes; a list is a
// uvarint count and its values. Every record has every field (an unused
// one costs one byte), so the codec has one shape. Consecutive records for
// one channel share an envelope: under load one publish carries many.

const envelopeVersion = 2 // 2: members' answers carry data; log entries

// recordKind says what a record asks of the nodes that receive it.
type recordKind uint8

const (
	kindBroadcast  recordKind = iota + 1 // deliver text+atts to the operator's sockets
	kindJoin                             // the operator's sockets join args
	kindLeave                            // the operator's sockets leave args
	kindDisconnect                       // the operator's sockets are disconnected
	kindAskLen                           // answer with the namespace's socket count
	kindAskMembers                       // answer with the ids of room args[0]'s members
	kindAnswer                           // an answer to request id: num, or args (socket id and data pairs)
	kindHeartbeat                        // the origin is alive
	kindBye                              // the origin is leaving the cluster
	kindTakeOver                         // the socket exceptID (flagOnly) has a new connection elsewhere: end it
	kindLogged                           // like kindBroadcast, an entry of a namespace's recovery log
	kindLast       = kindLogged
)

const (
	flagTargeted = 1 // the operator named rooms (To/In)
	flagOnly     = 2 // exceptID is the one socket the record is for
)

// maxNodeID bounds the origin's length: ids are 20 characters.
const maxNodeID = 64

// record is one message between nodes; text and atts may share the
// received envelope's bytes, which no one writes to.
type record struct {
	kind     recordKind
	targeted bool
	only     bool   // exceptID is the one recipient, not the one excluded
	id       uint64 // request id of kindAsk* and kindAnswer
	num      uint64 // kindAnswer to kindAskLen: the count
	ns       string
	to       []string
	except   []string
	exceptID string
	args     []string
	text     []byte
	atts     [][]byte
}

// errEnvelope: a message that is not a well-formed envelope.
var errEnvelope = errors.New("eventwire: malformed cluster message")

// appendRecord encodes r after b.
func appendRecord(b []byte, r *record) []byte {
	var flags byte
	if r.targeted {
		flags |= flagTargeted
	}
	if r.only {
		flags |= flagOnly
	}
	b = append(b, byte(r.kind), flags)
	b = binary.AppendUvarint(b, r.id)
	b = binary.AppendUvarint(b, r.num)
	b = appendString(b, r.ns)
	b = appendStrings(b, r.to)
	b = appendStrings(b, r.except)
	b = appendString(b, r.exceptID)
	b = appendStrings(b, r.args)
	b = appendBytes(b, r.text)
	b = binary.AppendUvarint(b, uint64(len(r.atts)))
	for _, a := range r.atts {
		b = appendBytes(b, a)
	}
	return b
}

// appendEnvelope encodes the header and the encoded records after b.
func appendEnvelope(b []byte, origin string, records [][]byte) []byte {
	b = append(b, envelopeVersion)
	b = appendString(b, origin)
	b = binary.AppendUvarint(b, uint64(len(records)))
	for _, r := range records {
		b = append(b, r...)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBytes(b, v []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// decodeEnvelope reads an envelope. It trusts no length or count: each is
// checked against the bytes left before anything is allocated, so a
// message of n bytes never costs more than O(n) memory.
func decodeEnvelope(msg []byte) (origin string, records []record, err error) {
	d := decoder{b: msg}
	if v := d.byte(); v != envelopeVersion && d.err == nil {
		return "", nil, fmt.Errorf("%w: version %d", errEnvelope, v)
	}
	origin = d.string()
	n := d.count(minRecordSize)
	if d.err == nil && (origin == "" || len(origin) > maxNodeID || n == 0) {
		return "", nil, fmt.Errorf("%w: bad origin or no record", errEnvelope)
	}
	records = make([]record, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		records = append(records, d.record())
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return "", nil, d.err
	}
	return origin, records, nil
}

// minRecordSize is the encoding of a record whose fields are all empty.
const minRecordSize = 11

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{errEnvelope}, args...)...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length or count whose items take at least each bytes.
func (d *decoder) count(each int) int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.b)/each) {
		d.fail("count %d exceeds the message", v)
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	v := d.b[:n:n] // capped: an append by a reader never writes into the next field
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) strings() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.string())
	}
	return out
}

func (d *decoder) record() record {
	var r record
	r.kind = recordKind(d.byte())
	flags := d.byte()
	r.targeted, r.only = flags&flagTargeted != 0, flags&flagOnly != 0
	r.id, r.num = d.uvarint(), d.uvarint()
	r.ns = d.string()
	r.to, r.except = d.strings(), d.strings()
	r.exceptID = d.string()
	r.args = d.strings()
	if text := d.bytes(); len(text) > 0 {
		r.text = text
	}
	if n := d.count(1); n > 0 {
		r.atts = make([][]byte, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			r.atts = append(r.atts, d.bytes())
		}
	}
	switch {
	case d.err != nil:
	case r.kind == 0 || r.kind > kindLast:
		d.fail("record kind %d", r.kind)
	case flags&^(flagTargeted|flagOnly) != 0, r.only && r.exceptID == "":
		d.fail("flags %#x", flags)
	case (r.kind == kindBroadcast || r.kind == kindLogged) && len(r.text) == 0:
		d.fail("broadcast without a packet")
	}
	return r
}
