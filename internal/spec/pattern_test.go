package spec

import (
	"regexp"
	"strings"
	"testing"
)

// TestJSPattern checks the JavaScript form of accepted patterns, and the
// construct and character each rejected one is reported at.
// TestNodePatterns runs the forms in JavaScript.
func TestJSPattern(t *testing.T) {
	tests := []struct {
		re, js string // js "" means rejected
		what   string // the construct reported, a prefix
		at     int    // in runes, from 1
	}{
		{re: `^[a-z]+$`, js: `^[a-z]+$`},
		{re: `^\d{3}-\d{4}$`, js: `^\d{3}-\d{4}$`},
		{re: `[\w.+-]+@\S+`, js: `[\w.+-]+@[^\t\n\f\r ]+`},
		{re: `a\sb`, js: `a[\t\n\f\r ]b`},
		{re: `[\s,]`, js: `[\t\n\f\r ,]`},
		{re: `[^\S]`, js: `[^\x00-\x08\x0B\x0E-\x1F!-\u{10FFFF}]`},
		{re: `^.+$`, js: `^[^\n]+$`},
		{re: `[.]`, js: `[.]`},
		{re: `\p{L}+\P{Lu}\p{LC}\p{Cn}\p{Any}\p{ASCII}\p{Letter}`, js: `\p{L}+\P{Lu}\p{LC}\p{Cn}\p{Any}\p{ASCII}\p{Letter}`},
		{re: `\p{Greek}[\P{Latin}\d]`, js: `\p{Script=Greek}[\P{Script=Latin}\d]`},
		{re: `\x{263a}[\x{41}-\x5A]`, js: `\u{263a}[\u{41}-\x5A]`},
		{re: `(?:ab)+?(?<word>\w+)(x)`, js: `(?:ab)+?(?<word>\w+)(x)`},
		{re: `a\.b\/c\$\{\}\]\[\(\)\|\^\*\+\?\\`, js: `a\.b\/c\$\{\}\]\[\(\)\|\^\*\+\?\\`},
		{re: `[a\-z\]\[]`, js: `[a\-z\]\[]`},
		{re: `[-a][a-][^-a][\w-][[][(?i)]`, js: `[-a][a-][^-a][\w-][[][(?i)]`},
		{re: `a{2}b{2,}c{2,5}?d{0}`, js: `a{2}b{2,}c{2,5}?d{0}`},
		{re: `\bword\B\f\n\r\t\v\x7f`, js: `\bword\B\f\n\r\t\v\x7f`},
		{re: `é|😀|a||b`, js: `é|😀|a||b`},
		{re: `(?i)abc`, what: "the inline flags (?i)", at: 1},
		{re: `x(?s:.)`, what: "the inline flags (?s)", at: 2},
		{re: `(?P<n>a)`, what: "(?P<name>…)", at: 1},
		{re: `(?<1a>x)`, what: "the group name 1a", at: 1},
		{re: `(?<n>a)|(?<n>b)`, what: "a second group named n", at: 9},
		{re: `\Aabc`, what: `\A`, at: 1},
		{re: `abc\z`, what: `\z`, at: 4},
		{re: `\Q.*\E`, what: `\Q`, at: 1},
		{re: `\a`, what: `\a`, at: 1},
		{re: `ab\pL`, what: `\pL`, at: 3},
		{re: `\p{^Greek}`, what: `\p{^Greek}`, at: 1},
		{re: `\p{greek}`, what: `\p{greek}`, at: 1},
		{re: `[[:digit:]]`, what: "a POSIX class", at: 2},
		{re: `a\-b`, what: `\-`, at: 2},
		{re: `a\#b`, what: `\#`, at: 2},
		{re: `\_`, what: `\_`, at: 1},
		{re: `é\101`, what: `the octal escape \101`, at: 2},
		{re: `\0`, what: `the octal escape \0`, at: 1},
		{re: `a{`, what: "a { that starts no repetition", at: 2},
		{re: `x{,3}`, what: "a { that starts no repetition", at: 2},
		{re: `x{01}`, what: "a { that starts no repetition", at: 2},
		{re: `a]`, what: "an unescaped ]", at: 2},
		{re: `a}`, what: "an unescaped }", at: 2},
		{re: `[]a]`, what: "a ] first in a class", at: 2},
		{re: `[^]a]`, what: "a ] first in a class", at: 3},
		{re: `[\d-z]`, what: `a range from the set \d`, at: 4},
		{re: `[\p{L}-z]`, what: `a range from the set \p{L}`, at: 7},
		{re: `[a-z-0]`, what: "a - in a class", at: 5},
		{re: `^*`, what: "the repeated assertion ^*", at: 2},
		{re: `a\b+`, what: `the repeated assertion \b+`, at: 4},
		{re: `$?`, what: "the repeated assertion $?", at: 2},
		{re: `^{2}`, what: "the repeated assertion ^{2}", at: 2},
	}
	for _, tt := range tests {
		t.Run(tt.re, func(t *testing.T) {
			if _, err := regexp.Compile(tt.re); err != nil {
				t.Fatalf("the case is not RE2: %v", err)
			}
			js, prob := jsPattern(tt.re)
			switch {
			case tt.js != "" && (prob != nil || js != tt.js):
				t.Errorf("jsPattern = %q, %+v; want %q", js, prob, tt.js)
			case tt.js == "" && prob == nil:
				t.Errorf("jsPattern = %q; want %s at character %d", js, tt.what, tt.at)
			case tt.js == "":
				at := len([]rune(tt.re[:prob.off])) + 1
				if !strings.HasPrefix(prob.construct, tt.what) || at != tt.at {
					t.Errorf("problem %q at character %d; want %q at %d", prob.construct, at, tt.what, tt.at)
				}
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{`'\p{Greek}+'`, ""},
		{`'a{'`, `t.yaml:5:38: pattern uses a { that starts no repetition such as {2,5} at character 2, ` +
			`which JavaScript's RegExp does not read the same way (escape it: \{)`},
		{`'[\d-z]'`, `t.yaml:5:38: pattern uses a range from the set \d at character 4, ` +
			`which JavaScript's RegExp does not read the same way (escape the - (\-) or put it last)`},
		{`'\101'`, `t.yaml:5:38: pattern uses the octal escape \101 at character 1, ` +
			`which JavaScript's RegExp does not read the same way (write \x41)`},
		{`'\p{greek}'`, `t.yaml:5:38: pattern uses \p{greek} at character 1, ` +
			`which JavaScript's RegExp does not read the same way (write \p{Greek})`},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got := strings.Join(parseErrors(t, event("{type: string, pattern: "+tt.pattern+"}")), "\n")
			if got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// FuzzJSPattern checks that jsPattern never panics on a pattern RE2
// compiles, and reports a problem inside the pattern. TestNodePatterns
// checks what JavaScript makes of the translations.
func FuzzJSPattern(f *testing.F) {
	for _, seed := range []string{`^[a-z]+$`, `[\s\S-]`, `\p{Greek}.\x{41}`, `(?<n>a){2,}?`, `a{`, `[]a]`, `\101`, `^*`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, re string) {
		if _, err := regexp.Compile(re); err != nil {
			return
		}
		if _, prob := jsPattern(re); prob != nil && (prob.off < 0 || prob.off >= len(re) || prob.construct == "") {
			t.Fatalf("jsPattern(%q) reports %+v", re, prob)
		}
	})
}
