package codegen

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/eventwire/eventwire/internal/spec"
)

// asyncAPICases have an asyncapi.yaml.golden: the spec using every
// feature, the seed chat and the namespaces case.
func asyncAPICases() []string { return []string{"richevents", "chatevents", "nsevents"} }

func renderAsyncAPI(t *testing.T, name, file string) []byte {
	t.Helper()
	s := loadCase(t, filepath.Join("testdata", name))
	b, err := AsyncAPI(s, file, AsyncAPIOptions{Title: name, Source: "events.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAsyncAPIGolden(t *testing.T) {
	for _, name := range asyncAPICases() {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", name, "asyncapi.yaml.golden"), renderAsyncAPI(t, name, "asyncapi.yaml"))
		})
	}
}

// The JSON form holds the same document as the YAML form.
func TestAsyncAPIJSONMatchesYAML(t *testing.T) {
	for _, name := range asyncAPICases() {
		t.Run(name, func(t *testing.T) {
			var fromYAML, fromJSON any
			if err := yaml.Unmarshal(renderAsyncAPI(t, name, "a.yml"), &fromYAML); err != nil {
				t.Fatal(err)
			}
			js := renderAsyncAPI(t, name, "a.json")
			if err := json.Unmarshal(js, &fromJSON); err != nil {
				t.Fatal(err)
			}
			y, _ := json.Marshal(normalize(fromYAML))
			j, _ := json.Marshal(fromJSON)
			if !bytes.Equal(y, j) {
				t.Errorf("the JSON and YAML documents differ:\nyaml %s\njson %s", y, j)
			}
		})
	}
}

// normalize turns yaml's ints into float64s, as encoding/json reads them.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
	case int:
		return float64(v)
	}
	return v
}

func TestAsyncAPIDeterministic(t *testing.T) {
	want := renderAsyncAPI(t, "richevents", "a.json")
	for range 5 {
		if got := renderAsyncAPI(t, "richevents", "a.json"); !bytes.Equal(got, want) {
			t.Fatal("two renders differ")
		}
	}
}

func TestAsyncAPIErrors(t *testing.T) {
	ok := loadCase(t, filepath.Join("testdata", "chatevents"))
	clash, err := spec.Parse("events.yaml", []byte(`version: 1
events:
  foo: {direction: to_server, payload: {type: string}, ack: {type: string}}
  foo_ack: {direction: to_client}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    *spec.Spec
		file string
		want string
	}{
		{"no extension", ok, "asyncapi", `"asyncapi" must end in .yaml, .yml or .json`},
		{"other extension", ok, "asyncapi.toml", "must end in .yaml, .yml or .json"},
		{"nil spec", nil, "a.yaml", "nil spec"},
		{"ack message clash", clash, "a.yaml", `namespace "/" has two messages FooAck`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AsyncAPI(tt.s, tt.file, AsyncAPIOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AsyncAPI error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// Each scalar kind maps without an error, and a kind without a case is
// an error rather than an empty schema (the goldens cover the others).
func TestAsyncAPIEveryKind(t *testing.T) {
	kinds := []spec.Kind{spec.KindString, spec.KindInteger, spec.KindNumber, spec.KindBoolean, spec.KindBytes}
	for _, k := range kinds {
		if _, err := jsonSchema(&spec.Schema{Kind: k}); err != nil {
			t.Errorf("kind %s: %v", k, err)
		}
	}
	if _, err := jsonSchema(&spec.Schema{Kind: "nope"}); err == nil {
		t.Error("an unknown kind mapped without an error")
	}
}

func TestDocParts(t *testing.T) {
	tests := []struct{ doc, summary, rest string }{
		{"", "", ""},
		{"One line.", "One line.", ""},
		{"A sentence that\nwraps.\n", "A sentence that wraps.", ""},
		{"Who someone is.\n\nShared by post.create\nand presence.\n", "Who someone is.", "Shared by post.create\nand presence."},
	}
	for _, tt := range tests {
		summary, rest := docParts(tt.doc)
		if summary != tt.summary || rest != tt.rest {
			t.Errorf("docParts(%q) = %q, %q; want %q, %q", tt.doc, summary, rest, tt.summary, tt.rest)
		}
	}
}
