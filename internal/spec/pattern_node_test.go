package spec

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestNodePatterns compiles the JavaScript form of patterns with node's
// RegExp (u flag), as the generated client does, and checks that it matches
// exactly the samples Go's regexp matches: every pattern of the specs under
// testdata, codegen's golden cases and the examples; each Unicode property
// name; and a few thousand random patterns jsPattern accepts.
func TestNodePatterns(t *testing.T) {
	node := nodeTool(t)
	var cases []patternCase
	for _, re := range specPatterns(t) {
		cases = append(cases, patternCase{re: re, samples: commonSamples()})
	}
	for _, name := range propertyNames() {
		cases = append(cases, patternCase{re: `^\p{` + name + `}$`, samples: propertySamples()})
	}
	for _, re := range randomPatterns(4000) {
		cases = append(cases, patternCase{re: re, samples: commonSamples()})
	}
	results := runNodePatterns(t, node, cases)
	for i, c := range cases {
		var want strings.Builder
		re := regexp.MustCompile(c.re)
		for _, s := range c.samples {
			want.WriteString(map[bool]string{false: "0", true: "1"}[re.MatchString(s)])
		}
		if r := results[i]; r.Error != "" || r.Matches != want.String() {
			t.Errorf("pattern %q, JavaScript %q: %s; matches %s, Go's %s (samples %q)",
				c.re, c.js, r.Error, r.Matches, want.String(), c.samples)
		}
	}
	t.Logf("%d patterns agree", len(cases))
}

type patternCase struct {
	re      string
	samples []string
	js      string
}

type nodeResult struct {
	Matches string `json:"matches"`
	Error   string `json:"error"`
}

// runNodePatterns translates each case and runs testdata/js/patterns.mjs on them.
func runNodePatterns(t *testing.T, node string, cases []patternCase) []nodeResult {
	t.Helper()
	type in struct {
		JS      string   `json:"js"`
		Samples []string `json:"samples"`
	}
	var ins []in
	for i, c := range cases {
		js, err := JSPattern(c.re)
		if err != nil {
			t.Fatalf("pattern %q: %v", c.re, err)
		}
		cases[i].js = js
		ins = append(ins, in{js, c.samples})
	}
	data, err := json.Marshal(ins)
	if err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(t.TempDir(), "cases.json")
	if err := os.WriteFile(input, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(node, filepath.Join("testdata", "js", "patterns.mjs"), input)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var results []nodeResult
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
		t.Fatalf("node output (%d results for %d cases): %v", len(results), len(cases), err)
	}
	return results
}

// specPatterns are the patterns of every spec that parses among the test
// cases here and in codegen, the repository's events.yaml and the examples'.
func specPatterns(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"testdata/valid/*.yaml", "../codegen/testdata/*/events.yaml",
		"../../events.yaml", "../../examples/*/events.yaml"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	seen := map[string]bool{}
	for _, f := range files {
		s, err := Parse(f, readFile(t, f))
		if err != nil {
			continue
		}
		var walk func(*Schema)
		walk = func(sc *Schema) {
			if sc == nil {
				return
			}
			if sc.Rules.Pattern != "" {
				seen[sc.Rules.Pattern] = true
			}
			for _, fl := range sc.Fields {
				walk(fl.Schema)
			}
			walk(sc.Items)
		}
		for _, nt := range s.Types {
			walk(nt.Schema)
		}
		walk(s.Auth)
		for _, e := range s.Events {
			walk(e.Payload)
			walk(e.Ack)
		}
	}
	if len(seen) < 5 {
		t.Fatalf("only %d patterns in %d spec files", len(seen), len(files))
	}
	return slices.Sorted(maps.Keys(seen))
}

// propertyNames are the \p{…} names jsPattern accepts.
func propertyNames() []string {
	names := []string{"Any", "ASCII", "Assigned"}
	names = append(names, slices.Collect(maps.Keys(unicode.Categories))...)
	names = append(names, slices.Collect(maps.Keys(unicode.CategoryAliases))...)
	for name := range unicode.Scripts {
		// RE2 does not find script names holding _ (its lookup drops the _).
		if _, err := regexp.Compile(`\p{` + name + `}`); err == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// commonSamples are strings near the differences between RE2 and
// JavaScript: line terminators, white space beyond ASCII, astral characters,
// syntax characters.
func commonSamples() []string {
	samples := []string{"", "a", "b", "z", "A", "0", "9", "_", "-", ".", " ", "\t", "\n", "\r", "\f", "\v",
		"\u00a0", "\u2028", "\u2029", "\ufeff", "\u3000", "\x00", "\x7f", "é", "α", "Ω", "😀", "[", "]", "{", "}",
		"\\", "ab", "aa", "abab", "a-b", "a\nb", "a\rb", "\r\n", "a b", "é😀", "αβγ", "ABC", "x2", "2x", "a.b", "{2}"}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("ab0 -.\n\r\u2028é😀α{}[]\\")
	for range 30 {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		samples = append(samples, b.String())
	}
	return samples
}

// propertySamples are characters of many categories and scripts, each
// assigned since Unicode 15.0 or earlier (Go's tables) and, like U+0378,
// still unassigned in newer versions, so Go and node agree on them.
func propertySamples() []string {
	return []string{"a", "A", "0", "_", "-", "(", "$", "+", " ", "\t", "\u00a0", "\u2028", "é", "α", "Ω", "я", "中",
		"あ", "ア", "한", "ا", "א", "ह", "ก", "😀", "\u0301", "\u200b", "\ue000", "\U000F0000", "\u0378", "ǅ", "Ⅳ", "½", "€"}
}

// randomPatterns returns up to n distinct patterns built from tokens near
// the differences between RE2 and JavaScript, keeping those Go compiles and
// jsPattern translates. The seed is fixed, so a failure reproduces.
func randomPatterns(n int) []string {
	tokens := []string{"a", "b", "é", "😀", " ", ".", "^", "$", `\s`, `\S`, `\d`, `\D`, `\w`, `\W`, `\b`, `\B`,
		"[", "]", "[^", "-", "(", ")", "(?:", "(?<g>", "|", "*", "+", "?", "{2}", "{1,3}", "{0,}", "{", "}",
		`\p{L}`, `\P{L}`, `\p{Greek}`, `\p{Lu}`, `\x41`, `\x{3b1}`, `\n`, `\t`, `\-`, `\.`, `\]`, `\[`, `\\`,
		"z", "0", "_", "\u2028", "\r", `\v`, `\f`, "[a-z]", `[^\s]`, `[\S]`, `[.\s-]`}
	r := rand.New(rand.NewPCG(3, 4))
	seen := map[string]bool{}
	var out []string
	for try := 0; try < 50*n && len(out) < n; try++ {
		var b strings.Builder
		for range 1 + r.IntN(7) {
			b.WriteString(tokens[r.IntN(len(tokens))])
		}
		re := b.String()
		if seen[re] {
			continue
		}
		seen[re] = true
		if _, err := regexp.Compile(re); err != nil {
			continue
		}
		if _, prob := jsPattern(re); prob == nil {
			out = append(out, re)
		}
	}
	return out
}

// nodeTool returns node's path, or skips the test when it is not installed.
func nodeTool(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; JavaScript's reading of patterns cannot be checked (install Node.js 20 or later)")
	}
	return node
}
