package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Load reads and parses the spec at path. It returns an ErrorList when the
// file is not a valid spec, or the error of reading it.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eventwire: read spec: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates the spec in data; file is the name positions
// carry in error messages and Spec.File. On any problem it returns a nil Spec
// and an ErrorList holding every error found, sorted by position.
func Parse(file string, data []byte) (*Spec, error) {
	p := &parser{
		file:    file,
		types:   map[string]*NamedType{},
		goTypes: map[string]goTypeOwner{},
	}
	s := p.parse(data)
	if len(p.errs) > 0 {
		p.errs.sortErrors()
		return nil, p.errs
	}
	return s, nil
}

// parser holds the state of one Parse call.
type parser struct {
	file string
	errs ErrorList
	// types are the named types by name, declared before any schema is read
	// so a reference resolves wherever the type is written in the file.
	types map[string]*NamedType
	// goTypes are the Go type names the generated package will declare, to
	// find two schemas that would produce the same one.
	goTypes map[string]goTypeOwner
}

func (p *parser) pos(n *yaml.Node) Pos {
	return Pos{File: p.file, Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func (p *parser) add(n *yaml.Node, msg, fix string) {
	p.addAt(p.pos(n), msg, fix)
}

func (p *parser) addAt(pos Pos, msg, fix string) {
	p.errs = append(p.errs, &Error{Pos: pos, Msg: msg, Fix: fix})
}

func (p *parser) parse(data []byte) *Spec {
	root := p.decode(data)
	if root == nil {
		return nil
	}
	es := p.entries(root, "key")
	p.checkKeys(es, topKeys(), "the top-level mapping")
	s := &Spec{File: p.file, Version: p.version(root, es)}
	s.Types = p.namedTypes(value(es, "types"))
	// auth is read before the events, so it claims the Go name Auth first and
	// a colliding event payload is the one the error points at.
	s.Auth = p.auth(value(es, "auth"), len(s.Types), AuthGoName)
	s.Events = p.events(root, value(es, "events"), "")
	s.Namespaces = p.namespaces(value(es, "namespaces"), len(s.Types))
	p.checkEventGoNames(s)
	p.checkCycles(s.Types)
	p.checkBytesInAuth(s)
	p.checkBytesInMaps(s)
	slices.SortFunc(s.Types, func(a, b *NamedType) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Events, func(a, b *Event) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// decode returns the top-level mapping of the single YAML document in data,
// or nil after reporting why there is none.
func (p *parser) decode(data []byte) *yaml.Node {
	start := Pos{File: p.file, Line: 1, Col: 1}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.addAt(start, "the file is empty", "start it with version: 1")
		} else {
			p.syntaxError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.add(&extra, "a spec holds one YAML document; found another", "remove the --- separator and what follows")
	case !errors.Is(err, io.EOF):
		p.syntaxError(err, data)
	}
	if p.rejectAliases(&doc); len(p.errs) > 0 {
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].ShortTag() == tagNull {
		p.addAt(start, "the file is empty", "start it with version: 1")
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.add(root, "the top level must be a mapping with version, types and events, not a "+nodeKind(root), "")
		return nil
	}
	return root
}

// syntaxError turns yaml.v3's "yaml: line N: problem" into a positioned
// error. yaml.v3 reports no column, so it points at the line's start; and it
// prints a parser error's line counting from 0 (a scanner error's from 1), so
// parser errors get one added: the line where the unclosed construct starts.
func (p *parser) syntaxError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{File: p.file, Line: 1, Col: 1}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n >= 0 {
				pos.Line, msg = n, text
				if isParserProblem(text) {
					pos.Line++
				}
				pos.Line = max(1, min(pos.Line, lineCount(data)))
			}
		}
	}
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name, _, _ = strings.Cut(name, "'")
		p.addAt(offsetPos(p.file, data, bytes.Index(data, []byte("*"+name))),
			"YAML aliases (*"+name+") are not supported", "declare a named type under types: and refer to it")
		return
	}
	p.addAt(pos, "invalid YAML: "+msg, "")
}

// isParserProblem tells yaml.v3's parser problems (see its parserc.go) from
// its scanner problems, whose line numbers differ by one.
func isParserProblem(msg string) bool {
	return strings.HasPrefix(msg, "did not find expected") ||
		strings.HasPrefix(msg, "found duplicate %") ||
		msg == "found incompatible YAML document" || msg == "found undefined tag handle"
}

// lineCount counts lines; a final newline does not start another.
func lineCount(data []byte) int {
	n := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		n++
	}
	return n
}

// offsetPos converts a byte offset in data to a position; -1 gives 1:1.
func offsetPos(file string, data []byte, off int) Pos {
	if off < 0 {
		return Pos{File: file, Line: 1, Col: 1}
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return Pos{File: file, Line: line, Col: col}
}

// rejectAliases reports every alias (*name). Aliases would let one node
// appear under several parents, and named types already share schemas.
func (p *parser) rejectAliases(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		p.add(n, "YAML aliases (*"+n.Value+") are not supported", "declare a named type under types: and refer to it")
		return
	}
	for _, c := range n.Content {
		p.rejectAliases(c)
	}
}

func (p *parser) version(root *yaml.Node, es []entry) int {
	n := value(es, "version")
	if n == nil {
		p.add(root, "missing version", "add version: 1 at the top")
		return 0
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt || n.Decode(&v) != nil {
		p.add(n, "version must be a whole number", "use version: 1")
		return 0
	}
	if v != 1 {
		p.add(n, "unsupported version "+strconv.Itoa(v), "this eventwire reads version: 1")
		return 0
	}
	return v
}
