package recovery

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func entry(t Target) Entry { return Entry{Text: []byte("42[\"x\"]"), Target: t} }

// TestSince: what a socket missed is every entry after its offset that was
// for it, in order; an offset older than the log, or more entries than
// allowed, gives nothing.
func TestSince(t *testing.T) {
	now := time.Now()
	l := NewLog("ep", Limits{MaxFrames: 5, MaxBytes: 1 << 20, MaxAge: time.Minute})
	red := map[string]struct{}{"red": {}}
	targets := []Target{
		{},                                     // 1: everyone
		{Only: "a"},                            // 2: a alone
		{Only: "b"},                            // 3: b alone
		{Targeted: true, To: []string{"red"}},  // 4: room red
		{Except: []string{"red"}},              // 5: all but red
		{ExceptID: "a"},                        // 6: all but a
		{Targeted: true, To: []string{"blue"}}, // 7: room blue
	}
	for _, tg := range targets {
		l.Append(entry(tg), now)
	}
	seqs := func(es []Entry) string { return fmt.Sprint(len(es), es[0].Seq) }
	if got, err := l.Since(3, "a", red, 10, now); err != nil || len(got) != 1 || got[0].Seq != 4 {
		t.Errorf("a in red after 3: %v %v", got, err)
	}
	if got, err := l.Since(2, "b", nil, 10, now); err != nil || seqs(got) != "3 3" {
		t.Errorf("b after 2: %d entries, %v", len(got), err)
	}
	if _, err := l.Since(1, "a", red, 10, now); !errors.Is(err, ErrTrimmed) {
		t.Errorf("after 1, with 3 trimmed: %v", err)
	}
	if _, err := l.Since(2, "b", nil, 2, now); !errors.Is(err, ErrTooMany) {
		t.Errorf("3 missed, at most 2: %v", err)
	}
	if got, err := l.Since(l.Top(), "a", red, 10, now); err != nil || len(got) != 0 {
		t.Errorf("at the top: %v %v", got, err)
	}
	// Past MaxAge every entry is gone: a socket at the top missed nothing
	// and recovers with no entry; one behind cannot.
	later := now.Add(2 * time.Minute)
	if got, err := l.Since(l.Top(), "a", red, 10, later); err != nil || len(got) != 0 {
		t.Errorf("at the top, all entries expired: %v %v", got, err)
	}
	if _, err := l.Since(l.Top()-1, "a", red, 10, later); !errors.Is(err, ErrTrimmed) {
		t.Errorf("behind the top, all entries expired: %v", err)
	}
}

func TestOffsets(t *testing.T) {
	l := NewLog("ep", Limits{MaxFrames: 10, MaxBytes: 1 << 20, MaxAge: time.Minute})
	seq := l.Append(entry(Target{}), time.Now())
	for _, tc := range []struct {
		offset string
		seq    uint64
		ok     bool
	}{
		{l.Offset(seq), seq, true},
		{"ep.0", 0, true},
		{"ep.2", 0, false}, // not given yet
		{"other.1", 0, false},
		{"ep.+1", 0, false},
		{"ep.01", 0, false}, // one offset, one spelling
		{"ep.", 0, false},
		{"ep1", 0, false},
	} {
		if got, ok := l.Parse(tc.offset); ok != tc.ok || ok && got != tc.seq {
			t.Errorf("Parse(%q) = %d, %v", tc.offset, got, ok)
		}
	}
}

// FuzzParse: no offset a client sends panics the parser, and every offset
// it accepts is one the log gave.
func FuzzParse(f *testing.F) {
	l := NewLog("ep", Limits{MaxFrames: 10, MaxBytes: 1 << 20, MaxAge: time.Minute})
	for range 3 {
		l.Append(entry(Target{}), time.Now())
	}
	for _, s := range []string{"ep.1", "ep.3", "ep.4", "ep.-1", "x.1", "", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, offset string) {
		seq, ok := l.Parse(offset)
		if ok && (seq > l.Top() || l.Offset(seq) != offset) {
			t.Fatalf("Parse(%q) = %d, which the log never gave as that offset", offset, seq)
		}
	})
}
