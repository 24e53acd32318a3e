package spec

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// enum reads the allowed values of a string or integer. Values are stored
// as strings: strings as written, integers in canonical decimal (0x10 -> "16"),
// which is the form validator's oneof compares against.
func (p *parser) enum(n *yaml.Node, s *Schema) []string {
	if n.Kind != yaml.SequenceNode {
		p.add(n, "enum must be a list of values, such as [red, green], not a "+nodeKind(n), "")
		return nil
	}
	if len(n.Content) == 0 {
		p.add(n, "enum needs at least one value", "")
		return nil
	}
	seen := map[string]*yaml.Node{}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		v, ok := p.enumValue(item, s)
		if !ok {
			continue
		}
		if prev, dup := seen[v]; dup {
			p.add(item, "duplicate enum value "+quote(v), "first at "+p.pos(prev).String())
			continue
		}
		seen[v] = item
		out = append(out, v)
		s.enumPos = append(s.enumPos, p.pos(item))
	}
	return out
}

func (p *parser) enumValue(n *yaml.Node, s *Schema) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.add(n, "enum values must be scalars, not a "+nodeKind(n), "")
		return "", false
	}
	if s.Kind == KindInteger {
		return p.enumInteger(n, s.Rules)
	}
	if n.ShortTag() != tagStr {
		p.add(n, "enum value "+n.Value+" is not a string", "quote it: "+quote(n.Value))
		return "", false
	}
	if problem := enumProblem(n.Value); problem != "" {
		p.add(n, "enum value "+quote(n.Value)+" "+problem,
			"validator's oneof cannot express it; avoid white space and , | ' \" ` \\")
		return "", false
	}
	p.checkEnumString(n, s.Rules)
	return n.Value, true
}

func (p *parser) enumInteger(n *yaml.Node, r Rules) (string, bool) {
	var v int64
	if n.ShortTag() != tagInt || n.Decode(&v) != nil {
		p.add(n, "enum value "+quote(n.Value)+" is not an integer", "")
		return "", false
	}
	// The same bound as min and max: beyond it a JavaScript number cannot
	// tell neighbouring integers apart, so the client could not match values.
	if v > jsSafeBound || v < -jsSafeBound {
		p.add(n, "enum value "+strconv.FormatInt(v, 10)+" is beyond ±2^53, where JavaScript loses integer precision", "")
		return "", false
	}
	f := float64(v)
	if r.Min != nil && f < *r.Min {
		p.add(n, "enum value "+strconv.FormatInt(v, 10)+" is below min "+formatNum(*r.Min), "")
	}
	if r.Max != nil && f > *r.Max {
		p.add(n, "enum value "+strconv.FormatInt(v, 10)+" is above max "+formatNum(*r.Max), "")
	}
	return strconv.FormatInt(v, 10), true
}

// checkEnumString reports a value no payload could carry, since the other
// rules of the same schema would reject it.
func (p *parser) checkEnumString(n *yaml.Node, r Rules) {
	runes := utf8.RuneCountInString(n.Value)
	if r.MinLength != nil && runes < *r.MinLength {
		p.add(n, "enum value "+quote(n.Value)+" is shorter than minLength "+strconv.Itoa(*r.MinLength), "")
	}
	if r.MaxLength != nil && runes > *r.MaxLength {
		p.add(n, "enum value "+quote(n.Value)+" is longer than maxLength "+strconv.Itoa(*r.MaxLength), "")
	}
	if r.Pattern != "" {
		if re, err := regexp.Compile(r.Pattern); err == nil && !re.MatchString(n.Value) {
			p.add(n, "enum value "+quote(n.Value)+" does not match pattern "+quote(r.Pattern), "")
		}
	}
}

// enumProblem says why validator/v10's oneof=a b c cannot hold v, or "".
// oneof splits on white space and treats quotes specially; the tag syntax
// splits on , and |, and turns 0x2C and 0x7C into them; a struct tag cannot
// hold a backquote, and a double quote or backslash would need escaping.
func enumProblem(v string) string {
	if v == "" {
		return "is empty"
	}
	for _, r := range v {
		switch {
		case unicode.IsSpace(r):
			return "contains white space"
		case unicode.IsControl(r) || r == utf8.RuneError:
			return "contains a control or invalid character"
		case strings.ContainsRune(",|'\"`\\", r):
			return "contains " + quote(string(r))
		}
	}
	if strings.Contains(v, "0x2C") || strings.Contains(v, "0x7C") {
		return "contains 0x2C or 0x7C, which validator reads as , or |"
	}
	return ""
}

// enumNames gives an enum its Go type name (as an object's, from where it
// sits) and each value a constant name, and claims them all: the generated
// package declares `type Level string` and `const LevelInfo Level = "info"`.
func (p *parser) enumNames(s *Schema, ctx schemaCtx) {
	if ctx.named != nil {
		s.GoName = ctx.named.GoName // claimed with the type's name
	} else {
		s.GoName = ctx.goType
		p.claimGoName("Go type name", s.GoName, ctx.where(), s.Pos)
	}
	s.EnumConsts = make([]string, len(s.Rules.Enum))
	for i, v := range s.Rules.Enum {
		c := s.GoName + enumValueGoName(v, s.Kind)
		if c == s.GoName {
			c += "Value" + strconv.Itoa(i+1)
		}
		s.EnumConsts[i] = c
		p.claimGoName("Go constant name", c, "enum value "+quote(v)+" of "+ctx.where(), s.enumPos[i])
	}
}

// enumValueGoName writes an enum value in Go case, as field names are:
// in-progress and in_progress -> InProgress, url -> URL, 2xx -> 2xx, and an
// integer -1 -> Minus1. Characters other than ASCII letters and digits
// separate words; a value without any gives "" (the caller numbers it).
func enumValueGoName(v string, k Kind) string {
	if k == KindInteger && strings.HasPrefix(v, "-") {
		return "Minus" + v[1:]
	}
	var b strings.Builder
	for part := range strings.FieldsFuncSeq(v, func(r rune) bool { return !isAlnum(r) }) {
		b.WriteString(goName(part))
	}
	return b.String()
}

func isAlnum(r rune) bool {
	return r < utf8.RuneSelf && (isLetter(byte(r)) || isDigit(byte(r)))
}
