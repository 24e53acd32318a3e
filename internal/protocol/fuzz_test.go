package protocol

import (
	"bytes"
	"strings"
	"testing"
)

// decodeSeeds are frames (without the Engine.IO '4') that reach every
// branch of Decode; the committed corpus in testdata/fuzz adds a few more.
var decodeSeeds = []string{
	`0`, `0{"token":"x"}`, `0/admin,`, `1`, `1/admin,`, `2["foo"]`, `212["foo",1]`,
	`2/admin,1["tellme"]`, `312[]`, `3/admin,13["bar"]`, `4{"message":"Not authorized"}`,
	`51-["baz",{"_placeholder":true,"num":0}]`, `61-/admin,15["bar"]`, `29007199254740991["x"]`,
	`2["a"]x`, `2/admin["a"]`, `511-["a"]`, `7`, ``,
}

func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		p, err := Decode(msg)
		if err != nil {
			return
		}
		frame := Append(nil, p)
		if frame[0] != Message {
			t.Fatalf("Append(%+v) = %q does not start with '4'", p, frame)
		}
		q, err := Decode(frame[1:])
		if err != nil {
			t.Fatalf("Decode(%q) ok, but its re-encoding %q fails: %v", msg, frame, err)
		}
		if !samePacket(p, q) {
			t.Fatalf("round trip of %q changed the packet: %+v -> %+v", msg, p, q)
		}
		// SplitEvent may refuse more than MaxEventArgs arguments, a bound Decode
		// does not check because it allocates nothing per argument.
		if p.Type == Event || p.Type == BinaryEvent {
			if _, _, err := SplitEvent(p.Data); err != nil && !strings.Contains(err.Error(), "event arguments") {
				t.Fatalf("Decode accepted %q but SplitEvent refuses its data: %v", msg, err)
			}
		}
	})
}

func FuzzSplitEvent(f *testing.F) {
	for _, s := range []string{
		`["ping"]`, `["chat",{"messageText":"hi"}]`, `["e",1,-2.5e3,true,false,null,"s"]`,
		`["e","a,]}[{\"",{"k]":",\\"}]`, " [ \"e\" ,\n 1 ] ", `["a\"b\u00e9\ud83c\udf0d"]`,
		`["\ud800"]`, "[\"a\xffb\"]", `[1]`, `[]`, `{}`, `["a"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		name, args, err := SplitEvent(data)
		if err != nil {
			return
		}
		raw := make([][]byte, len(args))
		for i, a := range args {
			if !bytes.Contains(data, a) {
				t.Fatalf("arg %q is not a slice of the input %q", a, data)
			}
			raw[i] = a
		}
		frame := AppendEvent(nil, "/", true, 1, name, raw...)
		p, err := Decode(frame[1:])
		if err != nil {
			t.Fatalf("SplitEvent(%q) ok, but its re-encoding %q fails Decode: %v", data, frame, err)
		}
		name2, args2, err := SplitEvent(p.Data)
		if err != nil {
			t.Fatalf("re-encoding %q fails SplitEvent: %v", frame, err)
		}
		if name2 != name || len(args2) != len(args) {
			t.Fatalf("round trip of %q: got %q with %d args, want %q with %d", data, name2, len(args2), name, len(args))
		}
		for i := range args {
			if !bytes.Equal(args[i], args2[i]) {
				t.Fatalf("round trip of %q: arg %d = %q, want %q", data, i, args2[i], args[i])
			}
		}
	})
}
