package codegen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// minifyTarget is the language level of the minified client. The readable
// client already needs ES2022 (#private fields, Object.hasOwn), which Node 20
// and every evergreen browser run; an older target would only have esbuild
// lower the private fields into WeakMaps, a bigger and slower module.
const minifyTarget = api.ES2022

// minifyJS minifies the client module src with esbuild: whitespace,
// identifiers and syntax, the export names kept, comments dropped (the
// template puts the header back). The result depends on src alone. esbuild's
// errors and warnings, which mean a template bug, come back as one error
// naming each place in name.
func minifyJS(name string, src []byte) (string, error) {
	res := api.Transform(string(src), api.TransformOptions{
		Sourcefile:        name,
		Loader:            api.LoaderJS,
		Format:            api.FormatESModule,
		Target:            minifyTarget,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
	})
	if msgs := slices.Concat(res.Errors, res.Warnings); len(msgs) > 0 {
		return "", fmt.Errorf("eventwire: codegen: minifying %s:%s", name, esbuildMessages(msgs))
	}
	return string(res.Code), nil
}

// esbuildMessages lists msgs one a line, each as file:line:col: text and
// the offending source line.
func esbuildMessages(msgs []api.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString("\n")
		if loc := m.Location; loc != nil {
			fmt.Fprintf(&b, "%s:%d:%d: %s\n\t%s", loc.File, loc.Line, loc.Column+1, m.Text, loc.LineText)
			continue
		}
		b.WriteString(m.Text)
	}
	return b.String()
}
