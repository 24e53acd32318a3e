package spec

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// pattern reads a regular expression. It must compile in Go (RE2) and mean
// the same to JavaScript's RegExp with the u flag, which the generated
// client uses: a pattern is checked by both, and they must agree.
func (p *parser) pattern(n *yaml.Node) string {
	s, ok := p.str(n, "pattern")
	if !ok {
		return ""
	}
	if s == "" {
		p.add(n, "pattern is empty", "remove it, or write a regular expression")
		return ""
	}
	if _, err := regexp.Compile(s); err != nil {
		p.add(n, "invalid pattern: "+err.Error(), "")
		return ""
	}
	if construct, fix := jsIncompatible(s); construct != "" {
		p.add(n, "pattern uses "+construct+", which JavaScript's RegExp does not read the same way", fix)
		return ""
	}
	return s
}

// jsIncompatible finds the first RE2 construct in re (already valid RE2)
// that JavaScript (u flag) rejects or reads differently; "" when none.
func jsIncompatible(re string) (construct, fix string) {
	inClass := false
	for i := 0; i < len(re); i++ {
		c := re[i]
		switch {
		case c == '\\' && i+1 < len(re):
			if what, fix := jsEscape(re[i+1:], inClass); what != "" {
				return what, fix
			}
			i++
		case inClass && c == '[' && strings.HasPrefix(re[i:], "[:"):
			return "a POSIX class such as [[:alpha:]]", "write the set out, e.g. [a-zA-Z]"
		case inClass && c == ']':
			inClass = false
		case !inClass && c == '[':
			inClass = true
			// A ] right after [ or [^ is a literal in RE2.
			if strings.HasPrefix(re[i+1:], "^") {
				i++
			}
			if strings.HasPrefix(re[i+1:], "]") {
				i++
			}
		case !inClass && strings.HasPrefix(re[i:], "(?"):
			if what, fix := jsGroup(re[i+2:]); what != "" {
				return what, fix
			}
		}
	}
	return "", ""
}

// jsEscape checks the escape whose character starts rest.
func jsEscape(rest string, inClass bool) (construct, fix string) {
	c := rest[0]
	switch {
	case strings.IndexByte("AzQECa", c) >= 0:
		return `\` + string(c), `use ^ and $ for \A and \z, escape characters one by one for \Q…\E`
	case (c == 'p' || c == 'P') && !strings.HasPrefix(rest[1:], "{"):
		return `\` + rest[:min(2, len(rest))], `write \` + string(c) + `{…} with braces`
	case c == 'x' && strings.HasPrefix(rest[1:], "{"):
		return `\x{…}`, `use \u{…}`
	case c < 0x80 && !isLetter(c) && !isDigit(c):
		// JS with the u flag escapes only syntax characters (and - in a class).
		if strings.IndexByte(`^$\.*+?()[]{}|/`, c) < 0 && !(inClass && c == '-') {
			return `\` + string(c), "write " + string(c) + " without the backslash"
		}
	}
	return "", ""
}

// jsGroup checks the group whose text after "(?" is rest.
func jsGroup(rest string) (construct, fix string) {
	switch {
	case strings.HasPrefix(rest, ":"), strings.HasPrefix(rest, "<"):
		return "", "" // non-capturing and (?<name>…) groups read the same
	case strings.HasPrefix(rest, "P<"):
		return "(?P<name>…)", "write (?<name>…)"
	}
	end := strings.IndexAny(rest, ":)")
	if end < 0 {
		end = len(rest)
	}
	return "the inline flags (?" + rest[:end] + ")", "write the pattern without flags, e.g. [Aa] for case-insensitive a"
}
