package spec

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The shipped files live at the module root; these tests keep them honest.
const (
	shippedSpec   = "../../events.yaml"
	shippedSchema = "../../schema/events.schema.json"
	shippedDocs   = "../../docs/EVENTS.md"
)

func TestShippedSpec(t *testing.T) {
	s, err := Load(shippedSpec)
	if err != nil {
		t.Fatalf("the shipped events.yaml has errors:\n%v", err)
	}
	byName := map[string]*Event{}
	for _, e := range s.Events {
		byName[e.Name] = e
	}
	if got := slices.Sorted(maps.Keys(byName)); !slices.Equal(got, []string{"browser_to_message", "link", "server_back_message"}) {
		t.Fatalf("events %v; want exactly the seed chat's three", got)
	}
	if l := byName["link"]; l.Direction != ToClient || l.Payload == nil || l.Payload.Kind != KindString {
		t.Errorf("link = %+v; want a to_client string event", l)
	}
	in, out := byName["browser_to_message"], byName["server_back_message"]
	if in.Direction != ToServer || out.Direction != ToClient {
		t.Errorf("directions %s and %s; want to_server and to_client", in.Direction, out.Direction)
	}
	// The chat converts one into the other, ServerBackMessage(m): the Go
	// structs must have identical fields, tags included.
	if a, b := fieldShapes(in.Payload), fieldShapes(out.Payload); a == "" || a != b {
		t.Errorf("payload fields differ:\n%s\n%s", a, b)
	}
	if in.Payload.GoName != "BrowserToMessage" || out.Payload.GoName != "ServerBackMessage" {
		t.Errorf("payload Go names %q, %q", in.Payload.GoName, out.Payload.GoName)
	}
}

// fieldShapes prints an object's fields without positions.
func fieldShapes(s *Schema) string {
	if s == nil || s.Kind != KindObject {
		return ""
	}
	var b strings.Builder
	for _, f := range s.Fields {
		d := dumpSchema(f.Schema)
		d.Pos = ""
		j, _ := json.Marshal(d)
		fmt.Fprintf(&b, "%s %s required=%v %s\n", f.Name, f.GoName, f.Required, j)
	}
	return b.String()
}

// jsonSchema is the part of schema/events.schema.json the tests compare.
type jsonSchema struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Defs       map[string]struct {
		Properties map[string]json.RawMessage `json:"properties"`
		AnyOf      []struct {
			Enum    []string `json:"enum"`
			Pattern string   `json:"pattern"`
		} `json:"anyOf"`
	} `json:"$defs"`
}

// TestJSONSchemaInSync checks that the editor schema offers exactly the keys,
// kinds and values the parser accepts.
func TestJSONSchemaInSync(t *testing.T) {
	var js jsonSchema
	if err := json.Unmarshal(readFile(t, shippedSchema), &js); err != nil {
		t.Fatal(err)
	}
	sets := []struct {
		name string
		got  map[string]json.RawMessage
		want []string
	}{
		{"top level", js.Properties, topKeys()},
		{"event", js.Defs["event"].Properties, eventKeys()},
		{"namespace", js.Defs["namespace"].Properties, namespaceKeys()},
		{"schema", js.Defs["schemaKeys"].Properties, schemaKeys()},
		{"field", js.Defs["field"].Properties, []string{"required"}},
	}
	for _, set := range sets {
		if got := slices.Sorted(maps.Keys(set.got)); !slices.Equal(got, slices.Sorted(slices.Values(set.want))) {
			t.Errorf("%s keys in the JSON schema %v; the parser accepts %v", set.name, got, set.want)
		}
	}
	enums := []struct {
		raw  json.RawMessage
		want []string
	}{
		{js.Defs["event"].Properties["direction"], directions()},
		{js.Defs["schemaKeys"].Properties["format"], formats()},
	}
	for _, e := range enums {
		var v struct{ Enum []string }
		if err := json.Unmarshal(e.raw, &v); err != nil || !slices.Equal(v.Enum, e.want) {
			t.Errorf("JSON schema enum %v (err %v); want %v", v.Enum, err, e.want)
		}
	}
	if got := js.Defs["typeName"].AnyOf; len(got) != 2 || !slices.Equal(got[0].Enum, builtinKinds()) {
		t.Errorf("typeName = %+v; want the built-in kinds %v", got, builtinKinds())
	}
	text := string(readFile(t, shippedSchema))
	for _, name := range append(ReservedGoNames(), ReservedJSNames()...) {
		if !strings.Contains(text, quote(name)) {
			t.Errorf("JSON schema does not reserve the type name %s", name)
		}
	}
}

// TestJSONSchemaNamePatterns checks the schema's name patterns against the
// parser's name rules.
func TestJSONSchemaNamePatterns(t *testing.T) {
	text := string(readFile(t, shippedSchema))
	rules := []struct {
		pattern string
		check   func(string) bool
	}{
		{`^[A-Za-z][A-Za-z0-9_.:-]*$`, isEventName},
		{`^[A-Za-z][A-Za-z0-9_]*$`, isFieldName},
		{`^[A-Z][A-Za-z0-9]*$`, isTypeName},
		{`^/[A-Za-z][A-Za-z0-9_-]*$`, isNamespaceName},
	}
	samples := []string{"/a", "/a-b_9", "/a.b", "//a", "/", "a", "A", "ab_c", "a.b", "a:b", "a-b", "Ab9", "9a", "_a", "a b", "", "é", "A_b", "ChatLine"}
	for _, r := range rules {
		if !strings.Contains(text, strings.ReplaceAll(r.pattern, `\`, `\\`)) {
			t.Errorf("JSON schema lacks the pattern %s", r.pattern)
		}
		re := regexp.MustCompile(r.pattern)
		for _, s := range samples {
			if re.MatchString(s) != r.check(s) {
				t.Errorf("pattern %s and the parser disagree on %q", r.pattern, s)
			}
		}
	}
}

// TestDocsCoverEveryKey checks that docs/EVENTS.md documents every key,
// kind, direction, format and reserved name the parser knows.
func TestDocsCoverEveryKey(t *testing.T) {
	doc := string(readFile(t, shippedDocs))
	var words []string
	words = append(words, topKeys()...)
	words = append(words, eventKeys()...)
	words = append(words, namespaceKeys()...)
	words = append(words, fieldKeys()...)
	words = append(words, builtinKinds()...)
	words = append(words, directions()...)
	words = append(words, formats()...)
	words = append(words, ReservedGoNames()...)
	words = append(words, ReservedJSNames()...)
	words = append(words, "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener", "eventwire:error")
	for _, w := range words {
		if !strings.Contains(doc, "`"+w+"`") {
			t.Errorf("docs/EVENTS.md does not mention `%s`", w)
		}
	}
}
