package codegen

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedGoCompiles builds the generated package of every case in a
// temporary module that requires this repository through a replace
// directive, vets it, and runs the tests of testdata/gomod against it:
// NewServer with a Handler, typed emitters, the Go runtime's details for
// every payload of validation.json (which the Node test checks the JS client
// reports identically), acks both ways, Authorize with its CONNECT_ERRORs,
// the room operators, Use and OnAny.
func TestGeneratedGoCompiles(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH; cannot compile the generated package")
	}
	if testing.Short() {
		t.Skip("builds a temporary module; skipped with -short")
	}
	mod := writeGoModule(t)
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = mod
		// -mod=mod lets go add the requirements the replace brings in, from the
		// module cache the repository's own build filled.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), mod, err, out)
		}
	}
}

// writeGoModule lays out the temporary module: go.mod and go.sum, a
// generated package per case (richevents, chatevents...), and the check
// package with its test data.
func writeGoModule(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	goMod := "module example.com/gentest\n\ngo " + goVersion(t, root) + "\n\n" +
		"require github.com/eventwire/eventwire v0.0.0\n\n" +
		"replace github.com/eventwire/eventwire => " + root + "\n"
	writeFile(t, filepath.Join(mod, "go.mod"), []byte(goMod))
	writeFile(t, filepath.Join(mod, "go.sum"), readFile(t, filepath.Join(root, "go.sum")))
	// Every case that renders becomes a package, so vet compiles them all.
	for _, dir := range caseDirs(t) {
		files, err := renderCase(t, dir)
		if err != nil {
			continue // an error case
		}
		pkg := filepath.Join(mod, filepath.Base(dir))
		mkdir(t, pkg)
		for name, b := range files {
			writeFile(t, filepath.Join(pkg, name), b)
		}
	}
	mkdir(t, filepath.Join(mod, "check", "testdata"))
	tests, err := filepath.Glob(filepath.Join("testdata", "gomod", "*_test.go"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no tests under testdata/gomod: %v", err)
	}
	for _, path := range tests {
		writeFile(t, filepath.Join(mod, "check", filepath.Base(path)), readFile(t, path))
	}
	writeFile(t, filepath.Join(mod, "check", "testdata", "validation.json"), readFile(t, validationFile))
	return mod
}

// goVersion is the go line of the repository's go.mod.
func goVersion(t *testing.T, root string) string {
	t.Helper()
	for line := range bytes.Lines(readFile(t, filepath.Join(root, "go.mod"))) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(string(line)), "go "); ok {
			return v
		}
	}
	t.Fatal("no go line in go.mod")
	return ""
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}
