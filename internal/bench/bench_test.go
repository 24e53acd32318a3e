package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSeq(t *testing.T) {
	tests := []struct {
		frame string
		seq   int
		ok    bool
	}{
		{`42["msg",{"to":"all","room":"","seq":17,"data":"x"}]`, 17, true},
		{`{"data":"x","seq":0,"to":"others"}`, 0, true},
		{`{"seq":123456789}`, 123456789, true},
		{`{"seq":1234567890}`, 0, false}, // more digits than a run sends
		{`{"seq":"7"}`, 0, false},
		{`40{"sid":"a"}`, 0, false},
		{`2`, 0, false},
	}
	for _, tt := range tests {
		seq, ok := parseSeq([]byte(tt.frame))
		if ok != tt.ok || (ok && seq != tt.seq) {
			t.Errorf("parseSeq(%s) = %d, %v; want %d, %v", tt.frame, seq, ok, tt.seq, tt.ok)
		}
	}
}

// The payload, not the frame, has the size a case names, whatever the
// sequence number's length, and the generator finds the number again.
func TestMessageSize(t *testing.T) {
	for _, sio := range []bool{false, true} {
		f := &fleet{sio: sio}
		for _, size := range []int{64, 1024} {
			for _, seq := range []int{1, 99999} {
				b := string(f.message("room", "r42", seq, size))
				payload := b
				if sio {
					payload = strings.TrimSuffix(strings.TrimPrefix(b, `42["msg",`), "]")
				}
				if len(payload) != size {
					t.Errorf("sio=%v size %d seq %d: payload is %d bytes: %s", sio, size, seq, len(payload), payload)
				}
				if got, ok := parseSeq([]byte(b)); !ok || got != seq {
					t.Errorf("sio=%v: seq %d read back as %d, %v", sio, seq, got, ok)
				}
			}
		}
	}
}

func TestPercentile(t *testing.T) {
	var samples []time.Duration
	for i := 1000; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	tests := []struct {
		q    float64
		want float64
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}}
	for _, tt := range tests {
		if got := percentile(samples, tt.q); got != tt.want {
			t.Errorf("percentile(%v) = %v ms, want %v", tt.q, got, tt.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v, want 0", got)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
