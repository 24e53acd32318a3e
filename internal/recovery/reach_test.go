package recovery

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func rooms(names ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}

func TestReachBound(t *testing.T) {
	x := NewReach(100)
	x.Note(1, Target{})                                  // everyone
	x.Note(2, Target{Targeted: true, To: []string{"a"}}) // room a
	x.Note(3, Target{Only: "s1"})                        // s1 alone
	x.Note(4, Target{Targeted: true, To: []string{"b", "c"}})
	x.Note(5, Target{ExceptID: "s9", Except: []string{"c"}}) // everyone but some
	x.Note(6, Target{Targeted: true, To: []string{"d"}})
	tests := []struct {
		name  string
		id    string
		rooms map[string]struct{}
		want  uint64
	}{
		{"in no room", "s2", rooms(), 5},
		{"in a", "s2", rooms("a"), 5},
		{"in d", "s2", rooms("d"), 6},
		{"alone got 3, in a", "s1", rooms("a"), 5},
		{"in b and d", "s2", rooms("b", "d"), 6},
	}
	for _, tc := range tests {
		if got := x.Bound(tc.id, tc.rooms); got != tc.want {
			t.Errorf("%s: Bound = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestReachNeverEarly: against a model that knows every entry's
// recipients, Bound is never before the last entry that reached a socket,
// also once pruning has forgotten most values.
func TestReachNeverEarly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := NewReach(16)
	names := []string{"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"}
	ids := []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"}
	member := map[string]map[string]struct{}{}
	for _, id := range ids {
		member[id] = rooms(names[rng.IntN(len(names))], names[rng.IntN(len(names))])
	}
	last := map[string]uint64{}
	for seq := uint64(1); seq <= 5000; seq++ {
		var tg Target
		switch rng.IntN(4) {
		case 0:
			tg = Target{Only: ids[rng.IntN(len(ids))]}
		case 1, 2:
			tg = Target{Targeted: true, To: []string{names[rng.IntN(len(names))]}}
		default:
			if rng.IntN(20) == 0 {
				tg = Target{Except: []string{names[rng.IntN(len(names))]}}
			} else {
				continue // a quiet stretch for everyone else: the rooms' values age
			}
		}
		x.Note(seq, tg)
		for _, id := range ids {
			if tg.Reaches(id, member[id]) {
				last[id] = seq
			}
		}
		for _, id := range ids {
			if b := x.Bound(id, member[id]); b < last[id] {
				t.Fatalf("after entry %d: Bound(%s) = %d, before the last entry that reached it, %d", seq, id, b, last[id])
			}
		}
		if len(x.rooms)+len(x.only) > 16 {
			t.Fatalf("Reach holds %d values, more than its max 16", len(x.rooms)+len(x.only))
		}
	}
}

func TestNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 50; n++ {
		vs := make([]uint64, n)
		for i := range vs {
			vs[i] = uint64(rng.IntN(20))
		}
		sorted := slices.Sorted(slices.Values(vs))
		for k := range n {
			if got := nth(slices.Clone(vs), k); got != sorted[k] {
				t.Fatalf("nth(%v, %d) = %d, want %d", vs, k, got, sorted[k])
			}
		}
	}
}
