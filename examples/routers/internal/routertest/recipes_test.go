package routertest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recipes are the declarations docs/INTEGRATION.md shows, by example
// folder: functions by name, methods as Type.Method, types by name.
var recipes = map[string][]string{
	"servemux": {"newHandler", "statusRecorder", "statusRecorder.WriteHeader", "statusRecorder.Unwrap"},
	"chi":      {"newServer", "newRouter"},
	"gin":      {"newRouter", "eventwire", "requestContext"},
	"echo":     {"newRouter", "requestContext"},
}

// TestRecipesInSync: every declaration the guide shows is there as the
// example has it, comments included, so the guide's code is tested code.
func TestRecipesInSync(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "INTEGRATION.md"))
	if err != nil {
		t.Fatal(err)
	}
	for dir, names := range recipes {
		file := filepath.Join("..", "..", dir, "main.go")
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		decls := declarations(t, file, src)
		for _, name := range names {
			text, ok := decls[name]
			switch {
			case !ok:
				t.Errorf("%s: no declaration %s", file, name)
			case !strings.Contains(string(doc), text):
				t.Errorf("docs/INTEGRATION.md does not show %s of %s as it is:\n%s", name, file, text)
			}
		}
	}
}

// declarations returns the source of each top-level function, method and
// type of a file, with its doc comment, by name.
func declarations(t *testing.T, file string, src []byte) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	text := func(doc *ast.CommentGroup, n ast.Node) string {
		start := n.Pos()
		if doc != nil {
			start = doc.Pos()
		}
		return string(src[fset.Position(start).Offset:fset.Position(n.End()).Offset])
	}
	out := make(map[string]string)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			name := d.Name.Name
			if d.Recv != nil {
				typ := d.Recv.List[0].Type
				if star, ok := typ.(*ast.StarExpr); ok {
					typ = star.X
				}
				name = typ.(*ast.Ident).Name + "." + name
			}
			out[name] = text(d.Doc, d)
		case *ast.GenDecl:
			if d.Tok == token.TYPE && len(d.Specs) == 1 {
				out[d.Specs[0].(*ast.TypeSpec).Name.Name] = text(d.Doc, d)
			}
		}
	}
	return out
}
