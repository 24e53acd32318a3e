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
