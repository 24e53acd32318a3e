package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoToolDirective: in a fresh module with the generator as a tool
// dependency (the README's `go get -tool`; here `go mod edit -tool`, since
// this checkout is not a published version the proxy knows), `go generate`
// runs it through a `//go:generate go tool gen …` line, and `go tool gen
// -check` from the module root agrees. The module uses this checkout
// through a replace directive; the other modules come from the Go module
// proxy.
func TestGoToolDirective(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a fresh module with the go command (-short)")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(app, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(app, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec, err := os.ReadFile(filepath.Join(root, "events.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write("events.yaml", string(spec))
	write("cmd/app/main.go", "package main\n\n//go:generate go tool gen -spec ../../events.yaml -out ./chatevents\n\nfunc main() {}\n")
	gocmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = app
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	gocmd("mod", "init", "example.com/app")
	// This checkout stands in for a published version (v0.0.0 here).
	gocmd("mod", "edit", "-require", "github.com/eventwire/eventwire@v0.0.0", "-replace", "github.com/eventwire/eventwire="+root,
		"-tool", "github.com/eventwire/eventwire/gen")
	gocmd("mod", "tidy")
	if mod, _ := os.ReadFile(filepath.Join(app, "go.mod")); !strings.Contains(string(mod), "tool github.com/eventwire/eventwire/gen") {
		t.Fatalf("go.mod has no tool directive:\n%s", mod)
	}
	gocmd("generate", "./...")
	for _, name := range []string{"events.go", "chatevents.js", "chatevents.min.js", "chatevents.d.ts"} {
		if _, err := os.Stat(filepath.Join(app, "cmd/app/chatevents", name)); err != nil {
			t.Errorf("go generate did not write %s: %v", name, err)
		}
	}
	if out := gocmd("tool", "gen", "-check", "-spec", "events.yaml", "-out", "cmd/app/chatevents"); !strings.Contains(out, "up to date") {
		t.Errorf("go tool gen -check from the module root: %s", out)
	}
}
