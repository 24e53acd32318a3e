package templates

import (
	"io/fs"
	"testing"
	"text/template"
)

func TestParse(t *testing.T) {
	set, err := Parse(template.FuncMap{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"header", GoFile, JSFile, MinJSFile, DTSFile, "js_runtime", "js_binary", "js_packets", "js_reconnect", "js_manager", "js_socket", "js_socket_traffic", "js_replies", "js_validate", "js_formats", "dts_runtime"} {
		if set.Lookup(name) == nil {
			t.Errorf("no template %q", name)
		}
	}
}

func TestFS(t *testing.T) {
	names, err := fs.Glob(FS(), "*.tmpl")
	if err != nil || len(names) == 0 {
		t.Fatalf("FS holds no templates: %v %v", names, err)
	}
}
