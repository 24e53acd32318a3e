package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func mapOf(values *Shape) *Shape { return &Shape{Kind: KindMap, Values: values} }

func TestMapKeyPath(t *testing.T) {
	for _, tc := range []struct {
		parent, key, want string
	}{
		{"tags", "a", "tags.a"},
		{"tags", "a_1B", "tags.a_1B"},
		{"", "a", "a"},
		{"", "a b", `["a b"]`},
		{"tags", "", `tags[""]`},
		{"tags", "1a", `tags["1a"]`},
		{"tags", "_a", `tags["_a"]`},
		{"tags", "a.b", `tags["a.b"]`},
		{"tags", "a[0]", `tags["a[0]"]`},
		{"tags", `say "hi"`, `tags["say \"hi\""]`},
		{"tags", `back\slash`, `tags["back\\slash"]`},
		{"tags", "é", `tags["é"]`},
		{"tags", "日本", `tags["日本"]`},
		{"tags", "😀", `tags["😀"]`},
		{"tags", "tab\there\n", `tags["tab\there\n"]`},
		{"tags", "\x00\x1f\x7f", `tags["\u0000\u001f` + "\x7f" + `"]`},
		{"tags", "\b\f\r", `tags["\b\f\r"]`},
		// JSON.stringify leaves these as they are; encoding/json would not.
		{"tags", "<&>\u2028\u2029", "tags[\"<&>\u2028\u2029\"]"},
		{"rows[2]", "k", "rows[2].k"},
		{`m["a b"]`, "c d", `m["a b"]["c d"]`},
	} {
		if got := mapKeyPath(tc.parent, tc.key); got != tc.want {
			t.Errorf("mapKeyPath(%q, %q) = %s, want %s", tc.parent, tc.key, got, tc.want)
		}
	}
}

// FuzzMapKeyPath checks that a quoted key reads back as the key with JSON
// (and so with JSON.parse), and that only identifiers are written after a dot.
func FuzzMapKeyPath(f *testing.F) {
	for _, s := range []string{"a", "", "a b", `"`, `\`, "a.b", "[", "é", "\x00", "\u2028", "a_1", "1a", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p := mapKeyPath("m", key)
		if isIdentKey(key) {
			if p != "m."+key {
				t.Fatalf("identifier %q: path %q", key, p)
			}
			return
		}
		if !strings.HasPrefix(p, `m["`) || !strings.HasSuffix(p, `"]`) {
			t.Fatalf("key %q: path %q", key, p)
		}
		var back string
		if err := json.Unmarshal([]byte(p[2:len(p)-1]), &back); err != nil {
			t.Fatalf("key %q: %s does not read back: %v", key, p, err)
		}
		if want := strings.ToValidUTF8(key, "\uFFFD"); utf8.ValidString(key) && back != want {
			t.Fatalf("key %q read back as %q", key, back)
		}
		for _, r := range p {
			if r < 0x20 {
				t.Fatalf("key %q: path %q holds a control character", key, p)
			}
		}
	})
}

func TestCheckArgsMap(t *testing.T) {
	item := object(FieldShape{Name: "name", Required: true, Shape: str()})
	sh := object(
		FieldShape{Name: "tags", Required: true, Shape: mapOf(str())},
		FieldShape{Name: "people", Shape: mapOf(item)},
		FieldShape{Name: "grid", Shape: mapOf(mapOf(arrayOf(&Shape{Kind: KindInteger})))},
	)
	for _, tc := range []struct {
		name, arg string
		want      []Detail
	}{
		{"valid", `{"tags":{"a":"x","b c":"y"},"people":{"al":{"name":"Al"}},"grid":{"r":{"c":[1,2]}}}`, nil},
		{"empty maps", `{"tags":{},"people":{}}`, nil},
		{"absent optional map", `{"tags":{"a":"x"},"people":null}`, nil},
		{"required map missing", `{}`, []Detail{newDetail("tags", "required", "")}},
		{"required map null", `{"tags":null}`, []Detail{newDetail("tags", "required", "")}},
		{"not an object", `{"tags":["a"]}`, []Detail{newDetail("tags", "type", "map")}},
		{"null value", `{"tags":{"a":null}}`, []Detail{newDetail("tags.a", "type", "string")}},
		{"bad values in key order", `{"tags":{"z":1,"a b":2,"B":3,"é":4,"":5}}`, []Detail{
			newDetail(`tags[""]`, "type", "string"),
			newDetail("tags.B", "type", "string"),
			newDetail(`tags["a b"]`, "type", "string"),
			newDetail("tags.z", "type", "string"),
			newDetail(`tags["é"]`, "type", "string"),
		}},
		{"nested object", `{"tags":{},"people":{"a b":{"nam":"x"}}}`, []Detail{
			newDetail(`people["a b"].name`, "required", ""),
			newDetail(`people["a b"].nam`, "unknown", ""),
		}},
		{"nested map and array", `{"tags":{},"grid":{"r 1":{"c":[1,"x"]}}}`, []Detail{
			newDetail(`grid["r 1"].c[1]`, "type", "integer"),
		}},
		{"quoted keys", `{"tags":{"say \"hi\"":1,"a\\b":2,"a.b":3,"x[0]":4}}`, []Detail{
			newDetail(`tags["a.b"]`, "type", "string"),
			newDetail(`tags["a\\b"]`, "type", "string"),
			newDetail(`tags["say \"hi\""]`, "type", "string"),
			newDetail(`tags["x[0]"]`, "type", "string"),
		}},
		{"duplicate key", `{"tags":{"a":"x","a":"y"}}`, []Detail{newDetail("tags", "type", "map")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := checkArgs(sh, []json.RawMessage{json.RawMessage(tc.arg)})
			if !reflect.DeepEqual(ds, tc.want) {
				t.Errorf("details\n%+v\nwant\n%+v", ds, tc.want)
			}
		})
	}
}

func TestCheckArgsMapPayload(t *testing.T) {
	ds := checkArgs(mapOf(&Shape{Kind: KindBoolean}), []json.RawMessage{json.RawMessage(`{"ok":true,"no way":1,"x":2}`)})
	want := []Detail{newDetail(`["no way"]`, "type", "boolean"), newDetail("x", "type", "boolean")}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("details %+v, want %+v", ds, want)
	}
}

func TestCheckArgsMapCapsDetails(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range maxDetails + 10 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	ds := checkArgs(mapOf(str()), []json.RawMessage{json.RawMessage(b.String())})
	if len(ds) != maxDetails {
		t.Errorf("%d details, want %d", len(ds), maxDetails)
	}
}

func TestMapShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		sh   *Shape
		want string // "" means valid
	}{
		{"valid", mapOf(mapOf(str())), ""},
		{"map without values", &Shape{Kind: KindMap}, "values must be set exactly for maps"},
		{"values on an object", &Shape{Kind: KindObject, Values: str()}, "values must be set exactly for maps"},
		{"bytes values", mapOf(&Shape{Kind: KindBytes}), "cannot hold bytes"},
		{"bytes deeper", mapOf(object(FieldShape{Name: "b", Shape: &Shape{Kind: KindBytes}})), "cannot hold bytes"},
		{"nil values shape in an array", arrayOf(&Shape{Kind: KindMap}), "payload[]: values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: tc.sh}}})
			if srv != nil {
				defer srv.Close()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMapRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules map[string]MapRule
		want  string
	}{
		{"bad count", map[string]MapRule{"ew_map_1": {MinProperties: "x"}}, "MinProperties"},
		{"negative count", map[string]MapRule{"ew_map_1": {MaxProperties: "-1"}}, "MaxProperties"},
		{"bad key pattern", map[string]MapRule{"ew_map_1": {KeyPattern: "("}}, "map rule"},
		{"builtin tag", map[string]MapRule{"min": {}}, `must start with "ew_"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(Schema{Maps: tc.rules})
			if srv != nil {
				srv.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// mapPayload is what generated code declares for a payload with maps.
type mapPayload struct {
	Tags   map[string]string             `json:"tags" validate:"ew_map_1"`
	People map[string]mapPayloadValue    `json:"people,omitempty" validate:"omitempty,ew_map_2"`
	Grid   map[string]map[string][]int64 `json:"grid,omitempty" validate:"omitempty,ew_map_4"`
	Rows   []map[string]string           `json:"rows,omitempty" validate:"omitempty,dive,ew_map_1"`
	Name   string                        `json:"name" validate:"min=2"`
}

type mapPayloadValue struct {
	Name string `json:"name" validate:"max=3"`
}

func mapRules() map[string]MapRule {
	return map[string]MapRule{
		"ew_map_1": {MinProperties: "1", MaxProperties: "3", KeyPattern: "^[a-z]+$", Values: "max=2"},
		"ew_map_2": {},
		"ew_map_3": {Values: "dive,min=0"},
		"ew_map_4": {KeyPattern: "^r", Values: "ew_map_3"},
	}
}

func TestValidatorMapRules(t *testing.T) {
	pv, err := newPayloadValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pv.registerMaps(mapRules()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    mapPayload
		want []Detail
	}{
		{"valid", mapPayload{Tags: map[string]string{"a": "x"}, Name: "ok"}, nil},
		{"too few", mapPayload{Tags: map[string]string{}, Name: "ok"}, []Detail{newDetail("tags", "minProperties", "1")}},
		{"too many stops there", mapPayload{Tags: map[string]string{"a": "x", "b": "long", "c": "x", "D": "x"}, Name: "ok"},
			[]Detail{newDetail("tags", "maxProperties", "3")}},
		{"keys and values in key order", mapPayload{Tags: map[string]string{"b": "long", "A": "long", "a b": "x"}, Name: "x"}, []Detail{
			newDetail("tags.A", "keyPattern", "^[a-z]+$"),
			newDetail(`tags["a b"]`, "keyPattern", "^[a-z]+$"),
			newDetail("tags.b", "maxLength", "2"),
			newDetail("name", "minLength", "2"),
		}},
		{"struct values", mapPayload{Tags: map[string]string{"a": "x"}, Name: "ok",
			People: map[string]mapPayloadValue{"z": {Name: "long"}, "a.b": {Name: "ok"}, "é": {Name: "long"}}}, []Detail{
			newDetail("people.z.name", "maxLength", "3"),
			newDetail(`people["é"].name`, "maxLength", "3"),
		}},
		{"nested maps and arrays", mapPayload{Tags: map[string]string{"a": "x"}, Name: "ok",
			Grid: map[string]map[string][]int64{"x": {}, "r 1": {"c d": {1, -1}}}}, []Detail{
			newDetail(`grid["r 1"]["c d"][1]`, "min", "0"),
			newDetail("grid.x", "keyPattern", "^r"),
		}},
		{"maps in an array", mapPayload{Tags: map[string]string{"a": "x"}, Name: "ok",
			Rows: []map[string]string{{"a": "x"}, {"a": "long"}, {}}}, []Detail{
			newDetail("rows[1].a", "maxLength", "2"),
			newDetail("rows[2]", "minProperties", "1"),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 5 { // Go ranges over maps in a random order
				v := tc.v
				err := pv.check(t.Context(), &v, validateStruct, "", "mapPayload")
				var got []Detail
				if e, ok := err.(*Error); ok {
					got = e.Details
				} else if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("details\n%+v\nwant\n%+v", got, tc.want)
				}
			}
		})
	}
}

func TestValidatorMapPayload(t *testing.T) {
	pv, err := newPayloadValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pv.registerMaps(mapRules()); err != nil {
		t.Fatal(err)
	}
	err = pv.check(t.Context(), map[string]string{"x y": "long", "ok": "x"}, validateVar, "ew_map_1", "")
	want := []Detail{newDetail(`["x y"]`, "keyPattern", "^[a-z]+$")}
	if e, ok := err.(*Error); !ok || !reflect.DeepEqual(e.Details, want) {
		t.Errorf("err %v, want details %+v", err, want)
	}
	if d := want[0]; d.Message != `["x y"] is a key that must match ^[a-z]+$` {
		t.Errorf("message %q", d.Message)
	}
}

func mapPayloadShape() *Shape {
	return object(
		FieldShape{Name: "tags", Required: true, Shape: mapOf(str())},
		FieldShape{Name: "people", Shape: mapOf(object(FieldShape{Name: "name", Required: true, Shape: str()}))},
		FieldShape{Name: "grid", Shape: mapOf(mapOf(arrayOf(&Shape{Kind: KindInteger})))},
		FieldShape{Name: "rows", Shape: arrayOf(mapOf(str()))},
		FieldShape{Name: "name", Required: true, Shape: str()},
	)
}

// FuzzMapPayload drives a payload with maps through the Shape check, the
// decoding and the map rules, as FuzzPayload does for the other kinds: no
// panic, only known rules, a shape-checked payload always decodes, and the
// details do not depend on Go's random map order.
func FuzzMapPayload(f *testing.F) {
	srv, err := New(Schema{
		Events: []Event{{Name: "tally", ClientSends: true, Payload: mapPayloadShape()}},
		Maps:   mapRules(),
	}, WithConfig(testConfig()), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	mustRegister(f, Handle(srv, "tally", func(context.Context, *Conn, mapPayload) error { return nil }))
	for _, seed := range []string{
		`{"tags":{"a":"x"},"name":"ok"}`,
		`{"tags":{"A":"long","a b":"x","b":"xyz"},"name":"x"}`,
		`{"tags":{"a":"x"},"name":"ok","people":{"z":{"name":"long"},"é":{"name":"x"}}}`,
		`{"tags":{"a":"x"},"name":"ok","grid":{"x":{},"r 1":{"c d":[1,-1]}}}`,
		`{"tags":{"a":"x"},"name":"ok","rows":[{"a":"x"},{}]}`,
		`{"tags":{"a":"x","a":"y"},"name":"ok"}`,
		`{"tags":{"\u0000":"x","\"":"y"},"name":"ok"}`,
	} {
		f.Add([]byte(seed))
	}
	e := srv.events["tally"]
	f.Fuzz(func(t *testing.T, payload []byte) {
		if !json.Valid(payload) {
			return
		}
		args := []json.RawMessage{payload}
		if ds := checkInbound(&e.Event, args); len(ds) > 0 {
			checkMapDetails(t, ds)
			return
		}
		var first []Detail
		for i := range 3 {
			_, err := e.getHandler()(context.Background(), nil, InboundEvent{Name: "tally", Args: args})
			var we *Error
			var ds []Detail
			switch {
			case err == nil:
			case errors.As(err, &we) && we.Code == "invalid_payload":
				ds = we.Details
				checkMapDetails(t, ds)
			default:
				t.Fatalf("%s: passed the shape check, then failed with %v", payload, err)
			}
			if i == 0 {
				first = ds
			} else if !reflect.DeepEqual(ds, first) {
				t.Fatalf("%s: details %+v, then %+v", payload, first, ds)
			}
		}
	})
}

func checkMapDetails(t *testing.T, ds []Detail) {
	t.Helper()
	for _, d := range ds {
		if d.Rule == "minProperties" || d.Rule == "maxProperties" || d.Rule == "keyPattern" {
			d.Rule = "min"
		}
		checkDetails(t, []Detail{d})
	}
}

func TestMapConforms(t *testing.T) {
	type value struct {
		Name string `json:"name"`
	}
	type named map[string]value
	objects := mapOf(object(FieldShape{Name: "name", Required: true, Shape: str()}))
	for _, tc := range []struct {
		name string
		t    reflect.Type
		sh   *Shape
		want bool
	}{
		{"strings", reflect.TypeFor[map[string]string](), mapOf(str()), true},
		{"structs", reflect.TypeFor[map[string]value](), objects, true},
		{"a named map type", reflect.TypeFor[named](), objects, true},
		{"maps of slices of integers", reflect.TypeFor[map[string]map[string][]int64](), mapOf(mapOf(arrayOf(&Shape{Kind: KindInteger}))), false},
		{"maps of maps", reflect.TypeFor[map[string]map[string]int64](), mapOf(mapOf(&Shape{Kind: KindInteger})), false},
		{"pointer values may be null", reflect.TypeFor[map[string]*string](), mapOf(str()), false},
		{"integer keys", reflect.TypeFor[map[int]string](), mapOf(str()), false},
		{"wrong value type", reflect.TypeFor[map[string]int64](), mapOf(str()), false},
		{"a struct for a map", reflect.TypeFor[value](), mapOf(str()), false},
		{"a map for an object", reflect.TypeFor[map[string]string](), object(FieldShape{Name: "name", Shape: str()}), false},
	} {
		if got := conforms(tc.t, tc.sh, 0); got != tc.want {
			t.Errorf("%s: conforms = %v, want %v", tc.name, got, tc.want)
		}
	}
}
