package spec

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// pattern reads a regular expression and returns it with its JavaScript
// form. The server checks the pattern with Go's regexp (RE2) and the
// generated client with JavaScript's RegExp and the u flag; both must match
// exactly the same strings, so a pattern is accepted only when jsPattern can
// write it for JavaScript.
func (p *parser) pattern(n *yaml.Node) (re, js string) { return p.namedPattern(n, "pattern") }

// namedPattern is pattern for the rule key (pattern, keyPattern).
func (p *parser) namedPattern(n *yaml.Node, key string) (re, js string) {
	s, ok := p.str(n, key)
	if !ok {
		return "", ""
	}
	if s == "" {
		p.add(n, key+" is empty", "remove it, or write a regular expression")
		return "", ""
	}
	if _, err := regexp.Compile(s); err != nil {
		p.add(n, "invalid "+key+": "+err.Error(), "")
		return "", ""
	}
	js, prob := jsPattern(s)
	if prob != nil {
		at := utf8.RuneCountInString(s[:prob.off]) + 1
		p.add(n, key+" uses "+prob.construct+" at character "+strconv.Itoa(at)+
			", which JavaScript's RegExp does not read the same way", prob.fix)
		return "", ""
	}
	return s, js
}

// jsProblem is the first construct of an RE2 pattern that JavaScript's
// RegExp (u flag) rejects or reads differently and that jsPattern does not
// translate, because a spelling both read alike exists: fix names it.
type jsProblem struct {
	off       int // byte offset in the pattern
	construct string
	fix       string
}

// repeatable is what a quantifier (* + ? {n,m}) would repeat at a point of
// the pattern.
type repeatable uint8

const (
	// repeatNothing: the start, after ( or |, after a quantifier; RE2
	// rejects a quantifier there, so a compiled pattern has none.
	repeatNothing repeatable = iota
	repeatAtom
	// repeatAssertion: after ^ $ \b \B, which RE2 repeats and JavaScript
	// refuses to.
	repeatAssertion
)

// jsTranslator writes the JavaScript form of an RE2 pattern that Go's
// regexp compiled, token by token.
type jsTranslator struct {
	re        string
	pos       int // byte offset of the next token
	out       strings.Builder
	last      repeatable
	assertion string          // the last assertion, when last is repeatAssertion
	names     map[string]bool // capture group names so far
}

// jsPattern returns the source of a JavaScript RegExp (u flag) that matches
// exactly what the RE2 pattern re matches, or the first construct it cannot
// translate. re must compile with Go's regexp. Most of a pattern is copied;
// translated are the constructs JavaScript reads differently:
//
//	.           -> [^\n]             RE2's . matches \r, U+2028 and U+2029, JavaScript's does not
//	\s, \S      -> [\t\n\f\r ], ...  RE2's \s is ASCII white space, JavaScript's Unicode's
//	\x{263A}    -> \u{263A}          JavaScript's spelling of a code point
//	\p{Greek}   -> \p{Script=Greek}  JavaScript names a script with Script=
func jsPattern(re string) (string, *jsProblem) {
	t := &jsTranslator{re: re, names: map[string]bool{}}
	for t.pos < len(t.re) {
		if prob := t.next(); prob != nil {
			return "", prob
		}
	}
	return t.out.String(), nil
}

// JSPattern is jsPattern for the patterns of a parsed spec (Rules.Pattern),
// which always translate; an error means the pattern did not come from Parse.
func JSPattern(re string) (string, error) {
	if _, err := regexp.Compile(re); err != nil {
		return "", err
	}
	js, prob := jsPattern(re)
	if prob != nil {
		return "", &Error{Msg: "pattern " + quote(re) + " uses " + prob.construct, Fix: prob.fix}
	}
	return js, nil
}

func (t *jsTranslator) next() *jsProblem {
	switch c := t.re[t.pos]; c {
	case '\\':
		return t.escape()
	case '[':
		return t.class()
	case '(':
		return t.group()
	case '*', '+', '?':
		return t.quantifier(1)
	case '{':
		if n := repeatLen(t.re[t.pos:]); n > 0 {
			return t.quantifier(n)
		}
		// RE2 reads a { that starts no {n}, {n,} or {n,m} as itself.
		return t.problem(t.pos, "a { that starts no repetition such as {2,5}", `escape it: \{`)
	case ']', '}':
		return t.problem(t.pos, "an unescaped "+string(c), `escape it: \`+string(c))
	case '.':
		t.emit(1, `[^\n]`, repeatAtom)
	case '^', '$':
		t.assertion = string(c)
		t.emit(1, string(c), repeatAssertion)
	case '|':
		t.emit(1, "|", repeatNothing)
	case ')':
		t.emit(1, ")", repeatAtom)
	default:
		_, size := utf8.DecodeRuneInString(t.re[t.pos:])
		t.emit(size, t.re[t.pos:t.pos+size], repeatAtom)
	}
	return nil
}

// emit consumes n bytes of the pattern, written js in JavaScript.
func (t *jsTranslator) emit(n int, js string, last repeatable) {
	t.pos += n
	t.out.WriteString(js)
	t.last = last
}

func (t *jsTranslator) problem(off int, construct, fix string) *jsProblem {
	return &jsProblem{off: off, construct: construct, fix: fix}
}

// quantifier copies the n-byte quantifier at t.pos, and a ? making it lazy.
func (t *jsTranslator) quantifier(n int) *jsProblem {
	q := t.re[t.pos : t.pos+n]
	switch t.last {
	case repeatAssertion:
		return t.problem(t.pos, "the repeated assertion "+t.assertion+q, "remove "+q+": an assertion matches no characters")
	case repeatNothing:
		return t.problem(t.pos, "a repetition of nothing: "+q, "") // RE2 rejects it: unreachable after Compile
	}
	if strings.HasPrefix(t.re[t.pos+n:], "?") {
		n++
	}
	t.emit(n, t.re[t.pos:t.pos+n], repeatNothing)
	return nil
}

// repeatLen is the length of the {n}, {n,} or {n,m} at the start of s as
// RE2 reads it (digits without leading zeros), or 0 when there is none.
func repeatLen(s string) int {
	i := 1
	digits := func() bool {
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i > start && (i-start == 1 || s[start] != '0')
	}
	if !digits() {
		return 0
	}
	if i < len(s) && s[i] == ',' {
		i++
		if i < len(s) && s[i] != '}' && !digits() {
			return 0
		}
	}
	if i >= len(s) || s[i] != '}' {
		return 0
	}
	return i + 1
}

// group copies ( (?: and (?<name>, which read alike; RE2's other group
// syntax has no JavaScript equivalent.
func (t *jsTranslator) group() *jsProblem {
	rest := t.re[t.pos+1:]
	switch {
	case !strings.HasPrefix(rest, "?"):
		t.emit(1, "(", repeatNothing)
	case strings.HasPrefix(rest, "?:"):
		t.emit(3, "(?:", repeatNothing)
	case strings.HasPrefix(rest, "?P<"):
		return t.problem(t.pos, "(?P<name>…)", "write (?<name>…)")
	case strings.HasPrefix(rest, "?<"):
		name, _, _ := strings.Cut(rest[2:], ">")
		// RE2 takes any letters, digits and _; a JavaScript name is an identifier, used once.
		if isDigit(name[0]) {
			return t.problem(t.pos, "the group name "+name+", which starts with a digit", "start the name with a letter or _")
		}
		if t.names[name] {
			return t.problem(t.pos, "a second group named "+name, "give each group its own name")
		}
		t.names[name] = true
		t.emit(len("(?<")+len(name)+len(">"), "(?<"+name+">", repeatNothing)
	default:
		end := strings.IndexAny(rest, ":)")
		return t.problem(t.pos, "the inline flags ("+rest[:end]+")",
			"write the pattern without flags, e.g. [Aa] for case-insensitive a")
	}
	return nil
}

// escape translates the escape sequence at t.pos.
func (t *jsTranslator) escape() *jsProblem {
	e, prob := jsEscape(t.re[t.pos:], false)
	if prob != nil {
		prob.off += t.pos
		return prob
	}
	last := repeatAtom
	if e.kind == escapeAssertion {
		last = repeatAssertion
		t.assertion = t.re[t.pos : t.pos+e.size]
	}
	t.emit(e.size, e.js, last)
	return nil
}
