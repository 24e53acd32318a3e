package codegen

import (
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// mapTags numbers the distinct map rules ew_map_1, ew_map_2, ... in the
// order collect meets them (a map's values before the map). Each is a
// middleware.MapRule the runtime registers as a custom validator tag: a
// map's size, its keys and its values' rules are checked there, in key
// order, rather than with validator's dive (see middleware.MapRule).
type mapTags struct {
	bySchema map[*spec.Schema]string // a map schema -> its tag ("" when it has nothing to check)
	byRule   map[goMapRule]string    // rule -> tag
	rules    []goMapRule             // in tag order
}

func newMapTags() mapTags {
	return mapTags{bySchema: map[*spec.Schema]string{}, byRule: map[goMapRule]string{}}
}

// goMapRule is one middleware.MapRule as Go source: QuotedTag is its key
// in Schema.Maps.
type goMapRule struct {
	QuotedTag                                        string
	MinProperties, MaxProperties, KeyPattern, Values string
}

// Rule is the MapRule literal, fields left out when empty.
func (r goMapRule) Rule() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+": "+strconv.Quote(v))
		}
	}
	add("MinProperties", r.MinProperties)
	add("MaxProperties", r.MaxProperties)
	add("KeyPattern", r.KeyPattern)
	add("Values", r.Values)
	return "{" + strings.Join(parts, ", ") + "}"
}

// collectMap gives map s its tag once its values are collected. A map
// needs one when it has rules, when its values have tags, or when they are
// structs (whose fields validator reaches only through the tag). Its key
// pattern joins the patterns, so the JavaScript client compiles it too.
func (p *patterns) collectMap(s *spec.Schema) {
	if _, done := p.maps.bySchema[s]; done {
		return
	}
	r := s.Rules
	p.add(r.KeyPattern, r.JSKeyPattern)
	rule := goMapRule{
		MinProperties: intParam(r.MinProperties), MaxProperties: intParam(r.MaxProperties),
		KeyPattern: r.KeyPattern, Values: p.validateTag(s.Values),
	}
	if rule == (goMapRule{}) && s.Values.Resolve().Kind != spec.KindObject {
		p.maps.bySchema[s] = ""
		return
	}
	tag, ok := p.maps.byRule[rule]
	if !ok {
		tag = "ew_map_" + strconv.Itoa(len(p.maps.rules)+1)
		p.maps.byRule[rule] = tag
		rule.QuotedTag = strconv.Quote(tag)
		p.maps.rules = append(p.maps.rules, rule)
	}
	p.maps.bySchema[s] = tag
}

// any reports whether the spec has a map, used or not.
func (t mapTags) any() bool { return len(t.bySchema) > 0 }

// goRules are the rules in tag order.
func (t mapTags) goRules() []goMapRule { return t.rules }
