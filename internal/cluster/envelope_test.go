package cluster

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func sampleRecords() []record {
	return []record{
		{kind: kindBroadcast, ns: "/", text: []byte(`42["msg","hi"]`)},
		{kind: kindBroadcast, targeted: true, ns: "/admin", to: []string{"red", "blue"}, except: []string{"muted"},
			exceptID: "k3J_9xQ2", text: []byte(`451-/admin,["file",{"_placeholder":true,"num":0}]`), atts: [][]byte{{0, 1, 0xff}}},
		{kind: kindJoin, targeted: true, ns: "/", to: []string{"red"}, args: []string{"green", ""}},
		{kind: kindLeave, ns: "/", args: []string{"green"}},
		{kind: kindDisconnect, ns: "/", exceptID: "me"},
		{kind: kindAskLen, id: 7, ns: "/"},
		{kind: kindAskMembers, id: 1 << 40, ns: "/", args: []string{"room"}},
		{kind: kindAnswer, id: 7, num: 12345},
		{kind: kindAnswer, id: 8, args: []string{"a", "b"}},
		{kind: kindHeartbeat},
		{kind: kindBye},
	}
}

func encodeEnvelope(origin string, rs []record) []byte {
	enc := make([][]byte, len(rs))
	for i := range rs {
		enc[i] = appendRecord(nil, &rs[i])
	}
	return appendEnvelope(nil, origin, enc)
}

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, r := range sampleRecords() {
		msg := encodeEnvelope("node-1", []record{r})
		origin, got, err := decodeEnvelope(msg)
		if err != nil || origin != "node-1" || len(got) != 1 || !reflect.DeepEqual(got[0], r) {
			t.Errorf("kind %d: decoded %q %+v %v, want %+v", r.kind, origin, got, err, r)
		}
	}
	all := sampleRecords()
	if _, got, err := decodeEnvelope(encodeEnvelope("n", all)); err != nil || !reflect.DeepEqual(got, all) {
		t.Errorf("batch: %v\n got %+v\nwant %+v", err, got, all)
	}
}

func TestEnvelopeRejects(t *testing.T) {
	valid := encodeEnvelope("node", []record{{kind: kindBroadcast, ns: "/", text: []byte("42[]")}})
	tests := []struct {
		name string
		msg  []byte
	}{
		{"empty", nil},
		{"version 1 (an older node)", append([]byte{1}, valid[1:]...)},
		{"version 3", append([]byte{3}, valid[1:]...)},
		{"no origin", encodeEnvelope("", []record{{kind: kindHeartbeat}})},
		{"origin too long", encodeEnvelope(string(bytes.Repeat([]byte("n"), 65)), []record{{kind: kindHeartbeat}})},
		{"no record", appendEnvelope(nil, "node", nil)},
		{"truncated", valid[:len(valid)-1]},
		{"trailing byte", append(bytes.Clone(valid), 0)},
		{"record count beyond the message", []byte{1, 1, 'n', 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"string length beyond the message", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{"varint overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"unknown kind", encodeEnvelope("node", []record{{kind: kindLast + 1}})},
		{"kind 0", encodeEnvelope("node", []record{{}})},
		{"broadcast without a packet", encodeEnvelope("node", []record{{kind: kindBroadcast, ns: "/"}})},
		{"unknown flag", func() []byte { m := bytes.Clone(valid); m[len("\x01\x04node\x01\x01")] = 2; return m }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := decodeEnvelope(tc.msg); !errors.Is(err, errEnvelope) {
				t.Errorf("decodeEnvelope(%x) = %v, want errEnvelope", tc.msg, err)
			}
		})
	}
}

// FuzzEnvelope: decoding any bytes never panics nor allocates beyond the
// message's size, and what decodes encodes back to an envelope that
// decodes to the same records.
func FuzzEnvelope(f *testing.F) {
	for _, r := range sampleRecords() {
		f.Add(encodeEnvelope("seed", []record{r}))
	}
	f.Add(encodeEnvelope("seed", sampleRecords()))
	f.Fuzz(func(t *testing.T, msg []byte) {
		origin, rs, err := decodeEnvelope(msg)
		if err != nil {
			if !errors.Is(err, errEnvelope) {
				t.Fatalf("error %v does not wrap errEnvelope", err)
			}
			return
		}
		if len(rs) == 0 || len(rs) > len(msg)/minRecordSize {
			t.Fatalf("%d records from %d bytes", len(rs), len(msg))
		}
		origin2, rs2, err := decodeEnvelope(encodeEnvelope(origin, rs))
		if err != nil || origin2 != origin || !reflect.DeepEqual(rs2, rs) {
			t.Fatalf("re-encoded: %q %+v %v, want %q %+v", origin2, rs2, err, origin, rs)
		}
	})
}
