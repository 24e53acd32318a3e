// Package codegen renders a validated events.yaml (internal/spec) into the
// files of a generated package: events.go (typed payloads, ack replies and
// auth payload, Handler, Conn, Broadcaster, Server and the runtime schema),
// <package>.js (a dependency-free ES module client, readable),
// <package>.min.js (the same module minified with esbuild, for pages to
// import) and <package>.d.ts (its types).
//
// Render is pure and deterministic: spec in, file contents out, no I/O. The
// gen command writes the files; it skips those whose bytes did not change.
//
//	files, err := codegen.Render(s, codegen.Options{Package: "chatevents", Source: "events.yaml"})
package codegen

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"strings"
	"sync"
	"text/template"

	"github.com/eventwire/eventwire/internal/spec"
	"github.com/eventwire/eventwire/templates"
)

// Options say what to call the generated package and where its spec came from.
type Options struct {
	// Package is the Go package name; the JS files are named after it too.
	Package string
	// Source is the spec path as the user gave it; every file's header names
	// it, and the runtime quotes it in messages.
	Source string
}

// GoFile is the name of the generated Go file; the JS files are named after
// the package (JSFile, MinJSFile, DTSFile).
const GoFile = "events.go"

// JSFile is the name of the generated JavaScript client for package pkg.
func JSFile(pkg string) string { return pkg + ".js" }

// MinJSFile is the name of the minified JavaScript client for package pkg.
func MinJSFile(pkg string) string { return pkg + ".min.js" }

// DTSFile is the name of the TypeScript declarations of the client for package pkg.
func DTSFile(pkg string) string { return pkg + ".d.ts" }

// parsed holds the templates, parsed on first use and shared read-only
// afterwards (a parsed text/template is safe for concurrent Execute).
var parsed = sync.OnceValues(func() (*template.Template, error) {
	return templates.Parse(template.FuncMap{})
})

// Render returns the generated files of s by name (GoFile, JSFile(pkg),
// MinJSFile(pkg), DTSFile(pkg)). The Go file is gofmt'd; an error names what
// cannot be generated, with the spec position when there is one.
func Render(s *spec.Spec, opts Options) (map[string][]byte, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("eventwire: codegen: nil spec")
	}
	t, err := parsed()
	if err != nil {
		return nil, fmt.Errorf("eventwire: codegen: templates: %w", err)
	}
	m, err := newModel(s, opts)
	if err != nil {
		return nil, err
	}
	if err := checkJSNames(s); err != nil {
		return nil, err
	}
	goSrc, err := execute(t, templates.GoFile, m.goFile())
	if err != nil {
		return nil, err
	}
	if goSrc, err = formatGo(goSrc); err != nil {
		return nil, err
	}
	client := m.jsFile()
	js, err := execute(t, templates.JSFile, client)
	if err != nil {
		return nil, err
	}
	minJS, err := minified(t, opts, js)
	if err != nil {
		return nil, err
	}
	dts, err := execute(t, templates.DTSFile, client)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		GoFile:                  goSrc,
		JSFile(opts.Package):    js,
		MinJSFile(opts.Package): minJS,
		DTSFile(opts.Package):   dts,
	}, nil
}

// minified renders MinJSFile: the client js minified, under the header.
func minified(t *template.Template, opts Options, js []byte) ([]byte, error) {
	readable := JSFile(opts.Package)
	code, err := minifyJS(readable, js)
	if err != nil {
		return nil, err
	}
	return execute(t, templates.MinJSFile, struct{ Source, Readable, Code string }{opts.Source, readable, code})
}

func (o Options) check() error {
	if !token.IsIdentifier(o.Package) || token.IsKeyword(o.Package) || o.Package == "_" {
		return fmt.Errorf("eventwire: codegen: package name %q is not a Go identifier", o.Package)
	}
	if o.Source == "" || strings.ContainsAny(o.Source, "\r\n") {
		return fmt.Errorf("eventwire: codegen: source %q must be one non-empty line (it goes in each file's header)", o.Source)
	}
	return nil
}

func execute(t *template.Template, name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("eventwire: codegen: %s: %w", name, err)
	}
	return b.Bytes(), nil
}
