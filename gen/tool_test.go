package main

import (
	"os"
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
	app := newAppModule(t, "-tool", "github.com/eventwire/eventwire/gen")
	spec, err := os.ReadFile(filepath.Join(app.root, "events.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app.write("events.yaml", string(spec))
	app.write("cmd/app/main.go", "package main\n\n//go:generate go tool gen -spec ../../events.yaml -out ./chatevents\n\nfunc main() {}\n")
	app.goCmd("mod", "tidy")
	if mod := app.read("go.mod"); !strings.Contains(mod, "tool github.com/eventwire/eventwire/gen") {
		t.Fatalf("go.mod has no tool directive:\n%s", mod)
	}
	app.goCmd("generate", "./...")
	for _, name := range []string{"events.go", "chatevents.js", "chatevents.min.js", "chatevents.d.ts"} {
		if _, err := os.Stat(filepath.Join(app.dir, "cmd/app/chatevents", name)); err != nil {
			t.Errorf("go generate did not write %s: %v", name, err)
		}
	}
	if out := app.goCmd("tool", "gen", "-check", "-spec", "events.yaml", "-out", "cmd/app/chatevents"); !strings.Contains(out, "up to date") {
		t.Errorf("go tool gen -check from the module root: %s", out)
	}
}
