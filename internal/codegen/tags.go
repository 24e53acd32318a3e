package codegen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/eventwire/eventwire/internal/spec"
)

// patterns numbers the spec's distinct regular expressions ew_pattern_1,
// ew_pattern_2, ... in the order collect first meets them: named types by
// name, then payloads by event name, each depth first in field order (a
// map's key pattern before its values).
type patterns struct {
	tags    map[string]string // regex -> tag
	regexes []string          // in tag order
	js      []string          // the regexes' JavaScript forms (spec.Rules.JSPattern)

	maps mapTags
}

func newPatterns() *patterns { return &patterns{tags: map[string]string{}, maps: newMapTags()} }

func (p *patterns) collect(s *spec.Schema) {
	if s == nil || s.Kind == spec.KindRef {
		return // a named type is collected at its definition
	}
	p.add(s.Rules.Pattern, s.Rules.JSPattern)
	for _, f := range s.Fields {
		p.collect(f.Schema)
	}
	p.collect(s.Items)
	if s.Kind == spec.KindMap {
		p.add(s.Rules.KeyPattern, s.Rules.JSKeyPattern)
		p.collect(s.Values)
		p.collectMap(s)
	}
}

// add numbers regex re, of JavaScript form js, unless it has its tag.
func (p *patterns) add(re, js string) {
	if _, ok := p.tags[re]; ok || re == "" {
		return
	}
	p.regexes = append(p.regexes, re)
	p.js = append(p.js, js)
	p.tags[re] = "ew_pattern_" + strconv.Itoa(len(p.regexes))
}

// check makes sure every pattern has its JavaScript form, which spec.Parse
// gives each pattern it accepts: without one the client would check nothing.
func (p *patterns) check() error {
	for i, js := range p.js {
		if js == "" {
			return fmt.Errorf("eventwire: codegen: pattern %q has no JavaScript form (spec.Rules.JSPattern); "+
				"the spec must come from spec.Parse", p.regexes[i])
		}
	}
	return nil
}

// validateTag is the validator/v10 tag of a value of schema s, e.g.
// "min=1,max=500": rules in a fixed order (length or bounds, enum, pattern,
// format), then for arrays "dive" and the items' tag. validator/v10 reports
// a value's first failing tag, and the JS client checks in the same order.
func (p *patterns) validateTag(s *spec.Schema) string {
	return strings.Join(p.ruleTags(s), ",")
}

func (p *patterns) ruleTags(s *spec.Schema) []string {
	s = s.Resolve()
	r := s.Rules
	var tags []string
	switch s.Kind {
	case spec.KindString:
		tags = appendBounds(tags, intParam(r.MinLength), intParam(r.MaxLength))
		tags = appendEnum(tags, r.Enum)
		if r.Pattern != "" {
			p.add(r.Pattern, r.JSPattern) // a named type's, met before its definition
			tags = append(tags, p.tags[r.Pattern])
		}
		if r.Format != spec.FormatNone && r.Format != spec.FormatDateTime { // date-time: the shape check
			tags = append(tags, string(r.Format))
		}
	case spec.KindInteger, spec.KindNumber:
		tags = appendBounds(tags, floatParam(r.Min), floatParam(r.Max))
		tags = appendEnum(tags, r.Enum)
	case spec.KindBytes:
		tags = appendBounds(tags, intParam(r.MinBytes), intParam(r.MaxBytes))
	case spec.KindArray:
		tags = appendBounds(tags, intParam(r.MinItems), intParam(r.MaxItems))
		// Without dive validator/v10 checks neither the items' rules nor,
		// for items that are structs, their fields.
		if items := p.ruleTags(s.Items); len(items) > 0 || s.Items.Resolve().Kind == spec.KindObject {
			tags = append(append(tags, "dive"), items...)
		}
	case spec.KindMap:
		if _, done := p.maps.bySchema[s]; !done {
			p.collect(s) // a named type defined after its first use
		}
		if tag := p.maps.bySchema[s]; tag != "" {
			tags = append(tags, tag)
		}
	}
	return tags
}

// appendBounds appends min= and max= for the params that are not "".
func appendBounds(tags []string, low, high string) []string {
	if low != "" {
		tags = append(tags, "min="+low)
	}
	if high != "" {
		tags = append(tags, "max="+high)
	}
	return tags
}

func appendEnum(tags, enum []string) []string {
	if len(enum) == 0 {
		return tags
	}
	return append(tags, "oneof="+strings.Join(enum, " "))
}

// intParam and floatParam print a rule's argument as the validator tag and
// the error detail carry it; "" when the rule is absent.
func intParam(v *int) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(*v)
}

func floatParam(v *float64) string {
	if v == nil {
		return ""
	}
	return formatBound(*v)
}

// formatBound prints min or max as validator/v10 parses it and as the
// error's param shows it: no exponent, no trailing zeros ("500", "0.5").
func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
