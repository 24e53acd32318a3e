package spec

import "strings"

// checkCycles reports named types that contain themselves, directly or
// through other types: such a value would be infinitely deep, Go cannot
// declare it without pointers, and Resolve would never return.
func (p *parser) checkCycles(types []*NamedType) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[*NamedType]int, len(types))
	var path []*NamedType
	var visit func(t *NamedType)
	visit = func(t *NamedType) {
		state[t] = visiting
		path = append(path, t)
		for _, ref := range refsIn(t.Schema, nil) {
			switch state[ref.RefType] {
			case visiting:
				p.addAt(ref.Pos, "recursive type: "+cycleText(path, ref.RefType),
					"named types cannot contain themselves; break the cycle")
			case unvisited:
				visit(ref.RefType)
			}
		}
		path = path[:len(path)-1]
		state[t] = done
	}
	for _, t := range types {
		if state[t] == unvisited {
			visit(t)
		}
	}
}

// refsIn appends every reference inside s (fields and items, not following
// the references themselves) to out.
func refsIn(s *Schema, out []*Schema) []*Schema {
	if s == nil {
		return out
	}
	if s.Kind == KindRef && s.RefType != nil {
		out = append(out, s)
	}
	for _, f := range s.Fields {
		out = refsIn(f.Schema, out)
	}
	out = refsIn(s.Values, out)
	return refsIn(s.Items, out)
}

// cycleText prints the cycle that closes at t: "A -> B -> A".
func cycleText(path []*NamedType, t *NamedType) string {
	var names []string
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == t {
			for _, q := range path[i:] {
				names = append(names, q.Name)
			}
			break
		}
	}
	return strings.Join(append(names, t.Name), " -> ")
}
