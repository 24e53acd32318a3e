package codegen

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestMinifyErrorNamesThePlace(t *testing.T) {
	_, err := minifyJS("broken.js", []byte("export const a = 1;\nexport function (\n"))
	if err == nil {
		t.Fatal("minifyJS accepted broken JavaScript")
	}
	for _, want := range []string{"eventwire: codegen: minifying broken.js:", "\nbroken.js:2:17: ", "export function ("} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestMinifiedExports imports both clients of every case in Node: the
// minified one must export the same names, and be the smaller.
func TestMinifiedExports(t *testing.T) {
	node := nodeTool(t)
	const script = `const [a, b] = await Promise.all(process.argv.slice(1).map((f) => import(f)));
const names = (m) => Object.keys(m).sort().join(",");
if (names(a) !== names(b)) throw new Error("exports differ:\n" + names(a) + "\n" + names(b));`
	for _, dir := range caseDirs(t) {
		pkg := filepath.Base(dir)
		files, err := renderCase(t, dir)
		if err != nil {
			continue // an error case
		}
		t.Run(pkg, func(t *testing.T) {
			if len(files[MinJSFile(pkg)]) >= len(files[JSFile(pkg)])/2 {
				t.Errorf("%s is %d bytes, %s %d", MinJSFile(pkg), len(files[MinJSFile(pkg)]), JSFile(pkg), len(files[JSFile(pkg)]))
			}
			out := writeClientModule(t, pkg)
			cmd := exec.Command(node, "--input-type=module", "-e", script,
				filepath.Join(out, JSFile(pkg)), filepath.Join(out, MinJSFile(pkg)))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("node: %v\n%s", err, b)
			}
		})
	}
}
