package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// An appModule is a fresh module, example.com/app, in a temporary
// directory: an app's module as the README has users set it up. It requires
// this checkout at v0.0.0 through a replace directive, since this checkout
// is not a published version the proxy knows; the other modules come from
// the Go module proxy (GOPROXY) or the module cache. Its go commands run
// with -mod=mod and outside any workspace.
type appModule struct {
	t    *testing.T
	dir  string
	root string // this checkout
}

// newAppModule creates the module; editArgs are more `go mod edit` flags,
// such as -tool.
func newAppModule(t *testing.T, editArgs ...string) *appModule {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	m := &appModule{t: t, dir: t.TempDir(), root: root}
	m.goCmd("mod", "init", "example.com/app")
	m.goCmd(append([]string{"mod", "edit", "-require", "github.com/eventwire/eventwire@v0.0.0",
		"-replace", "github.com/eventwire/eventwire=" + root}, editArgs...)...)
	return m
}

// write puts text in the module's file name, a slash-separated path.
func (m *appModule) write(name, text string) {
	m.t.Helper()
	path := filepath.Join(m.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// read returns the module's file name.
func (m *appModule) read(name string) string {
	m.t.Helper()
	b, err := os.ReadFile(filepath.Join(m.dir, filepath.FromSlash(name)))
	if err != nil {
		m.t.Fatal(err)
	}
	return string(b)
}

// goCmd runs the go command in the module and returns its output; a failure
// fails the test.
func (m *appModule) goCmd(args ...string) string {
	m.t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = m.dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		m.t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
