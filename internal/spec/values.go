package spec

import (
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Tags yaml.v3 resolves plain scalars to.
const (
	tagStr   = "!!str"
	tagInt   = "!!int"
	tagFloat = "!!float"
	tagBool  = "!!bool"
	tagNull  = "!!null"
)

func quote(s string) string { return strconv.Quote(s) }

// str returns a scalar's text. what names the value in messages ("direction").
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	switch {
	case n.Kind != yaml.ScalarNode:
		p.add(n, what+" must be a string, not a "+nodeKind(n), "")
		return "", false
	case n.ShortTag() == tagNull:
		p.add(n, what+" needs a value", "")
		return "", false
	}
	return n.Value, true
}

// docText returns a doc string with the surrounding blank space of YAML block
// scalars trimmed; null means no doc.
func (p *parser) docText(n *yaml.Node) string {
	if n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull) {
		return ""
	}
	s, _ := p.str(n, "doc")
	return strings.TrimSpace(s)
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagBool || n.Decode(&b) != nil {
		p.add(n, what+" must be true or false", "")
		return false
	}
	return b
}

// length reads a non-negative whole number (minLength, maxItems...).
func (p *parser) length(n *yaml.Node, what string) *int {
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt || n.Decode(&v) != nil {
		p.add(n, what+" must be a whole number", "")
		return nil
	}
	if v < 0 {
		p.add(n, what+" must not be negative", "")
		return nil
	}
	if v > math.MaxInt32 {
		p.add(n, what+" is too large", "at most "+strconv.Itoa(math.MaxInt32))
		return nil
	}
	i := int(v)
	return &i
}

// number reads a finite number (min, max).
func (p *parser) number(n *yaml.Node, what string) *float64 {
	var v float64
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != tagInt && tag != tagFloat) || n.Decode(&v) != nil {
		p.add(n, what+" must be a number", "")
		return nil
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		p.add(n, what+" must be a finite number", "")
		return nil
	}
	return &v
}

// nodeKind names a node's YAML kind for messages.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		if n.ShortTag() == tagNull {
			return "null"
		}
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// formatNum prints a rule's number the way the user most likely wrote it.
func formatNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
