// Package templates holds the text/template files internal/codegen renders
// generated code from: the Go package (events.go), the JavaScript client
// (<package>.js, whose runtime part is a template of its own), the frame of
// its minified form (<package>.min.js) and its TypeScript declarations
// (<package>.d.ts).
//
// The templates hold no logic: codegen prepares every name, type, tag and
// comment in Go and the templates only lay them out. Every generated file
// starts with the shared "header" block.
//
//	t, err := templates.Parse(funcs) // once; a parsed set is safe for concurrent use
//	err = t.ExecuteTemplate(w, templates.GoFile, data)
package templates

import (
	"embed"
	"io/fs"
	"text/template"
)

// The names of the templates that render whole files.
const (
	GoFile    = "events.go"
	JSFile    = "client.js"
	MinJSFile = "client.min.js"
	DTSFile   = "client.d.ts"
)

//go:embed *.tmpl
var files embed.FS

// FS returns the template files themselves, read only.
func FS() fs.FS { return files }

// Parse parses every template file into one set that shares funcs. It costs
// more than executing, so callers parse once and keep the set.
func Parse(funcs template.FuncMap) (*template.Template, error) {
	return template.New("eventwire").
		Funcs(funcs).
		Option("missingkey=error").
		ParseFS(files, "*.tmpl")
}
