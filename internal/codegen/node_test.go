package codegen

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// detail mirrors middleware.Detail, whose JSON the client must reproduce.
type detail struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

// validationCase is one entry of testdata/richevents/validation.json. The
// same file drives the compile test, which sends each payload to the Go
// runtime: details are what both sides must report.
type validationCase struct {
	Name  string `json:"name"`
	Event string `json:"event"`
	// Args: the event has several arguments and Payload is their array.
	Args    bool            `json:"args,omitempty"`
	Payload json.RawMessage `json:"payload"`
	Details []detail        `json:"details"`
}

const validationFile = "testdata/richevents/validation.json"

// jsCase is one call of testdata/js/validate.mjs: the exported validator
// function named Fn applied to Payload.
type jsCase struct {
	Fn      string          `json:"fn"`
	Args    bool            `json:"args,omitempty"` // Payload is the array of the arguments
	Payload json.RawMessage `json:"payload"`
}

func TestNodeValidators(t *testing.T) {
	node := nodeTool(t)
	dir := writeClientModule(t, "richevents")
	cases := readValidationCases(t)
	s := loadCase(t, filepath.Join("testdata", "richevents"))
	fns := map[string]string{}
	for _, e := range s.Events {
		fns[e.Name] = "validate" + e.GoName
	}
	var in []jsCase
	for _, c := range cases {
		in = append(in, jsCase{Fn: fns[c.Event], Args: c.Args, Payload: c.Payload})
	}
	var got [][]detail
	runNodeJSON(t, node, dir, in, &got)
	if *update {
		for i := range cases {
			cases[i].Details = got[i]
		}
		writeJSON(t, validationFile, cases)
		return
	}
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if !slices.Equal(got[i], c.Details) && !(len(got[i]) == 0 && len(c.Details) == 0) {
				t.Errorf("payload %s\n got: %s\nwant: %s", c.Payload, mustJSON(t, got[i]), mustJSON(t, c.Details))
			}
		})
	}
}

// TestNodeClient runs the node:test files of testdata/js, each against the
// generated client of a case, with a fake WebSocket:
//   - client.test.mjs: the frames, auth payload, acks both ways, listeners,
//     connect errors and teardown of richevents' client;
//   - binary.test.mjs: BINARY_EVENT and BINARY_ACK both ways, and the frame
//     sequences that break the protocol;
//   - namespaces.test.mjs: connect<Namespace> of nsevents;
//   - manager.test.mjs: connections sharing a WebSocket (the manager), and
//     reconnecting together;
//   - reconnect.test.mjs: backoff, attempts, when not to reconnect, connect
//     timeout, heartbeat, page wake-ups, the auth function, the state;
//   - offline.test.mjs: the offline buffer, volatile, ack timeouts and the
//     unsubscribe functions.
//
// The last two run on node:test's fake clock (mock.timers: setTimeout and
// Date), so they wait out backoff delays and deadlines exactly and at once.
//
// Each script runs twice: on the readable client and on the minified one
// pages import, which must behave the same.
func TestNodeClient(t *testing.T) {
	node := nodeTool(t)
	for _, tt := range []struct{ script, caseName string }{
		{"client.test.mjs", "richevents"},
		{"binary.test.mjs", "richevents"},
		{"namespaces.test.mjs", "nsevents"},
		{"manager.test.mjs", "nsevents"},
		{"reconnect.test.mjs", "richevents"},
		{"offline.test.mjs", "richevents"},
		{"recovery.test.mjs", "richevents"},
	} {
		for _, file := range []func(pkg string) string{JSFile, MinJSFile} {
			name := file(tt.caseName)
			t.Run(tt.script+"/"+name, func(t *testing.T) {
				runNodeTest(t, node, tt.caseName, name, tt.script)
			})
		}
	}
}

// runNodeTest runs testdata/js/<script> with node --test, the client file
// of caseName (JSFile or MinJSFile) in EVENTWIRE_CLIENT.
func runNodeTest(t *testing.T, node, caseName, file, script string) {
	t.Helper()
	dir := writeClientModule(t, caseName)
	path, err := filepath.Abs(filepath.Join("testdata", "js", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "--test", "--test-reporter=spec", path)
	cmd.Env = append(os.Environ(), "EVENTWIRE_CLIENT="+filepath.Join(dir, file))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", path, err, out)
	}
	t.Logf("%s", out)
}

// nodeTool returns node's path, or skips the test when it is not installed.
func nodeTool(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; the generated JavaScript cannot be run (install Node.js 20 or later)")
	}
	return node
}

// writeClientModule renders the case and writes its JS client, readable
// and minified, into a temporary directory marked as ES modules, returning
// the directory.
func writeClientModule(t *testing.T, caseName string) string {
	t.Helper()
	files, err := renderCase(t, filepath.Join("testdata", caseName))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "package.json"), []byte(`{"type": "module"}`+"\n"))
	for _, name := range []string{JSFile(caseName), MinJSFile(caseName)} {
		writeFile(t, filepath.Join(dir, name), files[name])
	}
	return dir
}

// runNodeJSON runs testdata/js/validate.mjs on in and decodes its output into out.
func runNodeJSON(t *testing.T, node, dir string, in, out any) {
	t.Helper()
	runNodeJSONContext(context.Background(), t, node, dir, in, out)
}

// runNodeJSONContext is runNodeJSON, failing when ctx ends first.
func runNodeJSONContext(ctx context.Context, t *testing.T, node, dir string, in, out any) {
	t.Helper()
	input := filepath.Join(dir, "cases.json")
	writeJSON(t, input, in)
	script, err := filepath.Abs(filepath.Join("testdata", "js", "validate.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, script, filepath.Join(dir, "richevents.js"), input)
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("node %s did not finish: %v", script, ctx.Err())
	}
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("node output: %v\n%s", err, stdout)
	}
}

func readValidationCases(t *testing.T) []validationCase {
	t.Helper()
	data, err := os.ReadFile(validationFile)
	if err != nil {
		t.Fatal(err)
	}
	var cases []validationCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("%s: %v", validationFile, err)
	}
	return cases
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
