package protocol

import "testing"

var benchPayload = []byte(`{"messageText":"hello, this is a 64 byte chat message for the bench"}`)

// BenchmarkAppendEvent is the broadcast hot path: one frame encoded into a
// reused buffer. It must not allocate.
func BenchmarkAppendEvent(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendEvent(buf[:0], "/", false, 0, "server_back_message", benchPayload)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendAck(b *testing.B) {
	buf := make([]byte, 0, 256)
	reply := []byte(`{"data":null}`)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAck(buf[:0], "/", 12345, reply)
	}
}

func BenchmarkDecode(b *testing.B) {
	frame := AppendEvent(nil, "/", true, 42, "browser_to_message", benchPayload)
	msg := frame[1:]
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitEvent(b *testing.B) {
	data := AppendEvent(nil, "/", false, 0, "browser_to_message", benchPayload)[2:]
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SplitEvent(data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendEventDoesNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendEvent(buf[:0], "/chat", true, 7, "server_back_message", benchPayload, benchPayload)
	})
	if allocs != 0 {
		t.Errorf("AppendEvent into a reused buffer: %v allocs/op, want 0", allocs)
	}
}
