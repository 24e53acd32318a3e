package spec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// escapeKind is what an escape sequence stands for.
type escapeKind uint8

const (
	escapeChar      escapeKind = iota // one character: may end a class range
	escapeClass                       // a set: \d \w \s \p{L}...
	escapeAssertion                   // \b \B
)

// jsEscaped is the JavaScript form of an RE2 escape sequence of size bytes.
type jsEscaped struct {
	js   string
	size int
	kind escapeKind
}

// The JavaScript forms of RE2's \s and \S (ASCII [\t\n\f\r ]; \v is not
// in it), alone and as members of a bracketed class.
const (
	jsSpace           = `[\t\n\f\r ]`
	jsNotSpace        = `[^\t\n\f\r ]`
	jsSpaceMembers    = `\t\n\f\r `
	jsNotSpaceMembers = `\x00-\x08\x0B\x0E-\x1F!-\u{10FFFF}`
)

// jsEscape translates the escape sequence at the start of s (s[0] is the
// backslash) of a pattern RE2 compiled; inClass says it sits in a
// bracketed class. A problem's offset is relative to s.
func jsEscape(s string, inClass bool) (jsEscaped, *jsProblem) {
	c := s[1]
	same := func(kind escapeKind) (jsEscaped, *jsProblem) { return jsEscaped{s[:2], 2, kind}, nil }
	switch {
	case strings.IndexByte("dDwW", c) >= 0:
		return same(escapeClass)
	case c == 's' || c == 'S':
		return jsEscaped{spaceClass(c == 'S', inClass), 2, escapeClass}, nil
	case c == 'b' || c == 'B': // RE2 rejects them in a class
		return same(escapeAssertion)
	case c == 'p' || c == 'P':
		return jsProperty(s)
	case c == 'x' && s[2] == '{':
		end := strings.IndexByte(s, '}')
		return jsEscaped{`\u` + s[2:end+1], end + 1, escapeChar}, nil
	case c == 'x':
		return jsEscaped{s[:4], 4, escapeChar}, nil
	case strings.IndexByte("fnrtv", c) >= 0:
		return same(escapeChar)
	case c >= '0' && c <= '7':
		return jsEscaped{}, octalProblem(s)
	case c == 'a':
		return jsEscaped{}, &jsProblem{construct: `\a`, fix: `write \x07`}
	case strings.IndexByte("AzQ", c) >= 0:
		return jsEscaped{}, &jsProblem{construct: `\` + string(c),
			fix: `use ^ and $ for \A and \z, escape characters one by one for \Q…\E`}
	case c < 0x80 && !isLetter(c) && !isDigit(c):
		// With the u flag JavaScript escapes only its syntax characters and
		// /, and - in a class; RE2 escapes any punctuation.
		if strings.IndexByte(`^$\.*+?()[]{}|/`, c) >= 0 || inClass && c == '-' {
			return same(escapeChar)
		}
		return jsEscaped{}, &jsProblem{construct: `\` + string(c), fix: "write " + string(c) + " without the backslash"}
	}
	return jsEscaped{}, &jsProblem{construct: s[:2], fix: ""} // RE2 rejects the other letters
}

func spaceClass(negated, inClass bool) string {
	switch {
	case negated && inClass:
		return jsNotSpaceMembers
	case negated:
		return jsNotSpace
	case inClass:
		return jsSpaceMembers
	}
	return jsSpace
}

// octalProblem reports RE2's octal escape \0 to \777: JavaScript with the u
// flag reads none of them.
func octalProblem(s string) *jsProblem {
	n := 2
	for n < 4 && n < len(s) && s[n] >= '0' && s[n] <= '7' {
		n++
	}
	v, _ := strconv.ParseUint(s[1:n], 8, 32) // octal digits: cannot fail
	fix := fmt.Sprintf(`write \x%02X`, v)
	if v > 0xFF {
		fix = fmt.Sprintf(`write \x{%X}`, v)
	}
	return &jsProblem{construct: "the octal escape " + s[:n], fix: fix}
}

// jsProperty translates \p{Name} or \P{Name} at the start of s. JavaScript
// reads a general category, Any, ASCII and Assigned as written, and a script
// as Script=Name; RE2 also takes one-letter names without braces, a ^
// negating the name, and names in any case with _ - and spaces ignored,
// none of which JavaScript reads.
func jsProperty(s string) (jsEscaped, *jsProblem) {
	if s[2] != '{' {
		return jsEscaped{}, &jsProblem{construct: s[:3], fix: `write ` + s[:2] + `{` + s[2:3] + `}`}
	}
	end := strings.IndexByte(s, '}')
	seq, name := s[:end+1], s[3:end]
	if rest, ok := strings.CutPrefix(name, "^"); ok {
		flipped := map[byte]string{'p': `\P`, 'P': `\p`}[s[1]]
		return jsEscaped{}, &jsProblem{construct: seq, fix: "write " + flipped + "{" + rest + "}"}
	}
	switch {
	case name == "Any" || name == "ASCII" || name == "Assigned",
		unicode.Categories[name] != nil, unicode.CategoryAliases[name] != "":
		return jsEscaped{seq, len(seq), escapeClass}, nil
	case unicode.Scripts[name] != nil:
		return jsEscaped{s[:2] + "{Script=" + name + "}", len(seq), escapeClass}, nil
	}
	fix := ""
	if exact := propertySpelling(name); exact != "" {
		fix = "write " + s[:2] + "{" + exact + "}"
	}
	return jsEscaped{}, &jsProblem{construct: seq, fix: fix}
}

// propertySpelling finds the exact spelling of a property name RE2 matched
// loosely (greek, Old-Italic); "" when there is none.
func propertySpelling(name string) string {
	loose := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "", " ", "").Replace(s))
	}
	names := []string{"Any", "ASCII", "Assigned"}
	for _, m := range []map[string]*unicode.RangeTable{unicode.Categories, unicode.Scripts} {
		names = append(names, slices.Collect(maps.Keys(m))...)
	}
	names = append(names, slices.Collect(maps.Keys(unicode.CategoryAliases))...)
	slices.Sort(names)
	for _, n := range names {
		if loose(n) == loose(name) {
			return n
		}
	}
	return ""
}

// class translates the bracketed class at t.pos. JavaScript reads RE2's
// classes alike but for: a ] first (JavaScript's [] and [^] are classes of
// their own), a - that neither starts nor ends the class nor makes a range
// (JavaScript refuses [\d-z]), and POSIX classes.
func (t *jsTranslator) class() *jsProblem {
	s := t.re
	i := t.pos + 1
	var b strings.Builder
	b.WriteByte('[')
	if s[i] == '^' {
		b.WriteByte('^')
		i++
	}
	for first := true; first || s[i] != ']'; first = false {
		switch {
		case s[i] == ']':
			return t.problem(i, "a ] first in a class", `escape it: \]`)
		case s[i] == '-' && !first && s[i+1] != ']':
			return t.problem(i, "a - in a class that is not first, last or in a range such as a-z", `escape it: \-`)
		case strings.HasPrefix(s[i:], "[:"):
			return t.problem(i, "a POSIX class such as [[:alpha:]]", `write the set out, e.g. [a-zA-Z], or escape the [: \[`)
		}
		lo, prob := classMember(s, i)
		if prob != nil {
			return prob
		}
		b.WriteString(lo.js)
		i += lo.size
		if s[i] != '-' || s[i+1] == ']' {
			continue
		}
		if lo.kind != escapeChar {
			return t.problem(i, "a range from the set "+s[i-lo.size:i], `escape the - (\-) or put it last`)
		}
		hi, prob := classMember(s, i+1)
		if prob == nil && hi.kind != escapeChar { // RE2 rejects it: unreachable after Compile
			prob = t.problem(i+1, "a range to the set "+s[i+1:i+1+hi.size], "")
		}
		if prob != nil {
			return prob
		}
		b.WriteString("-" + hi.js)
		i += 1 + hi.size
	}
	b.WriteByte(']')
	t.emit(i+1-t.pos, b.String(), repeatAtom)
	return nil
}

// classMember translates the character or escape at s[i] in a class.
func classMember(s string, i int) (jsEscaped, *jsProblem) {
	if s[i] != '\\' {
		_, size := utf8.DecodeRuneInString(s[i:])
		return jsEscaped{s[i : i+size], size, escapeChar}, nil
	}
	e, prob := jsEscape(s[i:], true)
	if prob != nil {
		prob.off += i
	}
	return e, prob
}
