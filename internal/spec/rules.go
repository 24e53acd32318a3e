package spec

import (
	"math"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// appliesTo reports whether key (a rule, fields or items) can be used on a
// schema of kind k. A reference carries none: the named type's definition
// holds its rules, so every use of the type checks the same thing.
func appliesTo(key string, k Kind) bool {
	switch key {
	case "minLength", "maxLength", "pattern", "format":
		return k == KindString
	case "min", "max":
		return k == KindInteger || k == KindNumber
	case "enum":
		return k == KindString || k == KindInteger
	case "minItems", "maxItems", "items":
		return k == KindArray
	case "minBytes", "maxBytes":
		return k == KindBytes
	case "fields":
		return k == KindObject
	case "minProperties", "maxProperties", "keyPattern", "values":
		return k == KindMap
	}
	return true // type, doc, required
}

// ruleHint points at the rule that was probably meant.
func ruleHint(key string, k Kind) string {
	if k == KindAny {
		return anyRuleHint(key)
	}
	length := key == "minLength" || key == "maxLength"
	bound := key == "min" || key == "max"
	count := key == "minItems" || key == "maxItems"
	size := key == "minBytes" || key == "maxBytes"
	if hint := mapRuleHint(key, k); hint != "" {
		return hint
	}
	switch {
	case (length || bound || count) && k == KindBytes:
		return "bytes use minBytes and maxBytes"
	case size && k == KindString:
		return "strings use minLength and maxLength"
	case size && k == KindArray:
		return "arrays use minItems and maxItems"
	case (bound || count) && k == KindString:
		return "strings use minLength and maxLength"
	case (length || bound) && k == KindArray:
		return "arrays use minItems and maxItems"
	case (length || count) && (k == KindInteger || k == KindNumber):
		return "numbers use min and max"
	}
	switch key {
	case "minLength", "maxLength", "pattern", "format":
		return key + " applies to strings"
	case "min", "max":
		return key + " applies to integers and numbers"
	case "enum":
		return "enum applies to strings and integers"
	case "fields":
		return "fields applies to objects"
	case "minBytes", "maxBytes":
		return key + " applies to bytes"
	}
	return key + " applies to arrays"
}

// checkApplicable reports every rule, fields or items key that s's kind
// cannot use.
func (p *parser) checkApplicable(es []entry, s *Schema, ctx schemaCtx) {
	for _, e := range es {
		if appliesTo(e.key, s.Kind) || !slices.Contains(schemaKeys(), e.key) {
			continue
		}
		if s.Kind == KindRef {
			p.add(e.k, e.key+" cannot be added where type "+quote(s.Ref)+" is used",
				"put it in the definition of "+s.Ref+", or use an inline schema")
			continue
		}
		p.add(e.k, e.key+" does not apply to type "+string(s.Kind)+" in "+ctx.where(), ruleHint(e.key, s.Kind))
	}
}

// rules reads the rules in es that apply to s.Kind into s.Rules.
func (p *parser) rules(es []entry, s *Schema) {
	r := &s.Rules
	for _, e := range es {
		if !slices.Contains(ruleKeys(), e.key) || !appliesTo(e.key, s.Kind) {
			continue
		}
		switch e.key {
		case "minLength":
			r.MinLength = p.length(e.v, e.key)
		case "maxLength":
			r.MaxLength = p.length(e.v, e.key)
		case "minItems":
			r.MinItems = p.length(e.v, e.key)
		case "maxItems":
			r.MaxItems = p.length(e.v, e.key)
		case "minBytes":
			r.MinBytes = p.length(e.v, e.key)
		case "maxBytes":
			r.MaxBytes = p.length(e.v, e.key)
		case "min":
			r.Min = p.bound(e.v, e.key, s.Kind)
		case "max":
			r.Max = p.bound(e.v, e.key, s.Kind)
		case "pattern":
			r.Pattern, r.JSPattern = p.pattern(e.v)
		case "format":
			r.Format = p.format(e.v)
		case "minProperties":
			r.MinProperties = p.length(e.v, e.key)
		case "maxProperties":
			r.MaxProperties = p.length(e.v, e.key)
		case "keyPattern":
			r.KeyPattern, r.JSKeyPattern = p.namedPattern(e.v, e.key)
		}
	}
	p.checkOrder(es, "minLength", r.MinLength, "maxLength", r.MaxLength)
	p.checkOrder(es, "minItems", r.MinItems, "maxItems", r.MaxItems)
	p.checkOrder(es, "minBytes", r.MinBytes, "maxBytes", r.MaxBytes)
	p.checkOrder(es, "minProperties", r.MinProperties, "maxProperties", r.MaxProperties)
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		p.add(keyNode(es, "min"), "min "+formatNum(*r.Min)+" is above max "+formatNum(*r.Max), "")
	}
	if n := value(es, "enum"); n != nil && appliesTo("enum", s.Kind) {
		r.Enum = p.enum(n, s)
	}
}

// jsSafeBound is 2^53: JavaScript numbers hold every integer up to it
// exactly, but not beyond (2^53+1 reads as 2^53).
const jsSafeBound = 1 << 53

// bound reads min or max; an integer's bounds must be whole numbers so the
// generated Go (int64) and JS checks agree on them.
func (p *parser) bound(n *yaml.Node, key string, k Kind) *float64 {
	v := p.number(n, key)
	if v != nil && k == KindInteger && *v != math.Trunc(*v) {
		p.add(n, key+" "+formatNum(*v)+" must be a whole number for type integer", "")
		return nil
	}
	if v != nil && k == KindInteger && math.Abs(*v) > jsSafeBound {
		p.add(n, key+" "+formatNum(*v)+" is beyond ±2^53, where JavaScript loses integer precision", "")
		return nil
	}
	return v
}

func (p *parser) checkOrder(es []entry, lowKey string, low *int, highKey string, high *int) {
	if low != nil && high != nil && *low > *high {
		p.add(keyNode(es, lowKey), lowKey+" "+strconv.Itoa(*low)+" is above "+highKey+" "+strconv.Itoa(*high), "")
	}
}

func formats() []string {
	return []string{string(FormatEmail), string(FormatURL), string(FormatUUID), string(FormatDateTime)}
}

func (p *parser) format(n *yaml.Node) Format {
	s, ok := p.str(n, "format")
	if !ok {
		return FormatNone
	}
	if slices.Contains(formats(), s) {
		return Format(s)
	}
	fix := didYouMean(s, formats())
	if fix == "" {
		fix = "use email, url, uuid or date-time"
	}
	p.add(n, "unknown format "+quote(s), fix)
	return FormatNone
}
