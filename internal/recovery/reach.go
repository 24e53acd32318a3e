package recovery

// Reach remembers, per emit and not per recipient, the last entry sent to
// everyone, to each room and to each socket alone, so that Bound can say
// which entries may have reached a socket. It lets a quiet client recover
// after the log has trimmed entries that were for others: a client whose
// offset is at or past Bound for its socket when it dropped had every
// entry that reached the socket up to then (see docs/RECOVERY.md).
//
// Like Log, it is not safe for concurrent use: the runtime holds the
// namespace's emit lock.
type Reach struct {
	all   uint64            // the last entry for every socket (maybe but some)
	rooms map[string]uint64 // room -> the last entry for its members
	only  map[string]uint64 // socket id -> the last entry for it alone
	floor uint64            // every value forgotten by prune was at most this
	max   int               // rooms and only hold at most this many values
}

// NewReach returns an empty Reach that remembers at most max rooms and
// sockets; past that it forgets the oldest half, and Bound grows more
// cautious (never wrong).
func NewReach(max int) *Reach {
	return &Reach{rooms: make(map[string]uint64), only: make(map[string]uint64), max: max}
}

// Note records entry seq, sent to t.
func (x *Reach) Note(seq uint64, t Target) {
	switch {
	case t.Only != "":
		x.only[t.Only] = seq
	case t.Targeted:
		for _, r := range t.To {
			x.rooms[r] = seq
		}
	default:
		x.all = seq // Except and ExceptID only narrow: an upper bound stays one
	}
	if len(x.rooms)+len(x.only) > x.max {
		x.prune()
	}
}

// Bound is a seq at or after the last entry that reached the socket id in
// rooms: no entry after Bound reached it (as the entries noted so far).
func (x *Reach) Bound(id string, rooms map[string]struct{}) uint64 {
	b := max(x.all, x.floor, x.only[id])
	for r := range rooms {
		b = max(b, x.rooms[r])
	}
	return b
}

// prune forgets the values at or below their median, raising the floor to
// it: Bound may then be later than the truth, never earlier.
func (x *Reach) prune() {
	var all []uint64
	for _, v := range x.rooms {
		all = append(all, v)
	}
	for _, v := range x.only {
		all = append(all, v)
	}
	median := nth(all, len(all)/2)
	x.floor = max(x.floor, median)
	for r, v := range x.rooms {
		if v <= median {
			delete(x.rooms, r)
		}
	}
	for id, v := range x.only {
		if v <= median {
			delete(x.only, id)
		}
	}
}

// nth returns the k-th smallest of vs (quickselect; vs is reordered).
func nth(vs []uint64, k int) uint64 {
	lo, hi := 0, len(vs)-1
	for lo < hi {
		pivot := vs[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for vs[i] < pivot {
				i++
			}
			for vs[j] > pivot {
				j--
			}
			if i <= j {
				vs[i], vs[j] = vs[j], vs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return vs[k]
		}
	}
	return vs[k]
}
