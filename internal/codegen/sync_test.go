package codegen

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/eventwire/eventwire/internal/spec"
)

// TestMaxDetailsMatchesRuntime checks that the client caps the details of a
// payload where the runtime does. middleware keeps its cap unexported, so the
// test reads it from the source.
func TestMaxDetailsMatchesRuntime(t *testing.T) {
	src := readFile(t, filepath.Join("..", "..", "middleware", "errors.go"))
	m := regexp.MustCompile(`\bmaxDetails\s*=\s*(\d+)\b`).FindSubmatch(src)
	if m == nil {
		t.Fatal("middleware/errors.go declares no maxDetails = N; update this test with the runtime's cap")
	}
	if runtime, _ := strconv.Atoi(string(m[1])); runtime != maxDetails {
		t.Errorf("the runtime reports at most %d details, the client %d", runtime, maxDetails)
	}
	files, err := renderCase(t, filepath.Join("testdata", "chatevents"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "const maxDetails = " + strconv.Itoa(maxDetails) + ";"; !strings.Contains(string(files[JSFile("chatevents")]), want) {
		t.Errorf("the client does not declare %s", want)
	}
}

// TestReservedJSNamesComplete checks spec.ReservedJSNames against the type
// names the client and its .d.ts declare besides the spec's own: each must
// be reserved (or a spec type could clash with it), and each reserved name
// must be declared somewhere (or the list has gone stale).
func TestReservedJSNamesComplete(t *testing.T) {
	decl := regexp.MustCompile(`(?m)@typedef \{.*\} (\w+)|^(?:export )?(?:declare )?(?:class|interface|type) (\w+)`)
	reserved := spec.ReservedJSNames()
	declared := map[string]bool{}
	for _, dir := range caseDirs(t) {
		s, err := parseCase(t, dir)
		if err != nil {
			continue // an error case
		}
		pkg := filepath.Base(dir)
		m, err := newModel(s, Options{Package: pkg, Source: "events.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		own := map[string]bool{}
		for _, d := range m.decls {
			own[d.name] = true
		}
		for _, ns := range s.Namespaces {
			own[ns.GoName+"Client"] = true // claimed by the spec with the namespace
		}
		for _, ns := range s.Namespaces { // claimed by the spec with the namespace too
			own[ns.GoName+"ServerToClientEvents"], own[ns.GoName+"ClientToServerEvents"] = true, true
		}
		files, err := Render(s, Options{Package: pkg, Source: "events.yaml"})
		if err != nil {
			continue // an error case of codegen's own (TestGolden checks the error)
		}
		for _, name := range []string{JSFile(pkg), DTSFile(pkg)} {
			for _, match := range decl.FindAllStringSubmatch(string(files[name]), -1) {
				n := match[1] + match[2]
				if own[n] {
					continue
				}
				declared[n] = true
				if !slices.Contains(reserved, n) {
					t.Errorf("%s declares %s, which spec.ReservedJSNames does not reserve", name, n)
				}
			}
		}
	}
	for _, n := range reserved {
		if !declared[n] {
			t.Errorf("spec.ReservedJSNames reserves %s, which no generated client declares", n)
		}
	}
}

// TestDetailRuleListsComplete checks every place that lists the detail
// rules against the runtime's: each rule middleware can report (the keys of
// its detailTexts, read from the source) must be named in the .d.ts Detail
// comment, the JS client's Detail typedef, the Go doc of middleware.Detail
// and docs/PROTOCOL.md's table, and the format rule's date-time param
// wherever the formats are listed.
func TestDetailRuleListsComplete(t *testing.T) {
	errorsGo := string(readFile(t, filepath.Join("..", "..", "middleware", "errors.go")))
	block := regexp.MustCompile(`(?s)var detailTexts = map\[string\]\[2\]string\{(.*?)\n\}`).FindStringSubmatch(errorsGo)
	if block == nil {
		t.Fatal("middleware/errors.go declares no detailTexts map; update this test with where the runtime keeps its rules")
	}
	var rules []string
	for _, m := range regexp.MustCompile(`"(\w+)":\s*\{`).FindAllStringSubmatch(block[1], -1) {
		rules = append(rules, m[1])
	}
	if len(rules) < 10 {
		t.Fatalf("read %d rules from detailTexts: %v", len(rules), rules)
	}
	files, err := renderCase(t, filepath.Join("testdata", "richevents"))
	if err != nil {
		t.Fatal(err)
	}
	lineWith := func(name, text, marker string) string {
		t.Helper()
		for line := range strings.Lines(text) {
			if strings.Contains(line, marker) {
				return line
			}
		}
		t.Fatalf("%s has no line with %q", name, marker)
		return ""
	}
	goDoc := regexp.MustCompile(`(?s)// Detail is one problem.*?type Detail struct`).FindString(errorsGo)
	protocol := string(readFile(t, filepath.Join("..", "..", "docs", "PROTOCOL.md")))
	lists := []struct {
		name, text string
		dateTime   bool
	}{
		{"the .d.ts Detail.rule comment", lineWith("richevents.d.ts", string(files[DTSFile("richevents")]), "The events.yaml rule that failed"), true},
		{"the JS client's Detail typedef", regexp.MustCompile(`(?s)@property \{string\} rule .*?\n \* @property`).FindString(string(files[JSFile("richevents")])), false},
		{"the Go doc of middleware.Detail", goDoc, true},
		{"docs/PROTOCOL.md's detail table", regexp.MustCompile(`(?s)\| rule \| param \| message \|.*?\n\n`).FindString(protocol), true},
	}
	for _, l := range lists {
		if l.text == "" {
			t.Errorf("%s not found", l.name)
			continue
		}
		for _, r := range rules {
			if !regexp.MustCompile(`\b` + r + `\b`).MatchString(l.text) {
				t.Errorf("%s does not name rule %s", l.name, r)
			}
		}
		if l.dateTime && !strings.Contains(l.text, "date-time") {
			t.Errorf("%s does not name format's param date-time", l.name)
		}
	}
}
