package middleware

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestClearRawNullsInMaps decodes JSON with nulls in any values held in
// maps, as generated code declares them, and checks that clearRawNulls
// leaves each null a nil json.RawMessage, as it does in fields and array
// items, and every other value as it was. Map values are not addressable,
// so each is cleared in a copy and stored back.
func TestClearRawNullsInMaps(t *testing.T) {
	type withMeta struct {
		M json.RawMessage `json:"m,omitempty"`
		N int64           `json:"n,omitempty"`
	}
	type holder struct {
		Mapobj map[string]withMeta                   `json:"mapobj,omitempty"`
		Anys   map[string]json.RawMessage            `json:"anys,omitempty"`
		Nested map[string]map[string]json.RawMessage `json:"nested,omitempty"`
		Rows   []map[string]withMeta                 `json:"rows,omitempty"`
		Ptrs   map[string]*withMeta                  `json:"ptrs,omitempty"`
		Pairs  map[string][2]json.RawMessage         `json:"pairs,omitempty"`
		Lists  map[string][]json.RawMessage          `json:"lists,omitempty"`
		Plain  map[string]string                     `json:"plain,omitempty"`
	}
	raw := func(s string) json.RawMessage {
		if s == "" {
			return nil
		}
		return json.RawMessage(s)
	}
	for _, tc := range []struct {
		name, in string
		want     holder
	}{
		{"an optional any in a map of objects", `{"mapobj":{"k":{"m":null},"j":{"m":[null],"n":1}}}`,
			holder{Mapobj: map[string]withMeta{"k": {}, "j": {M: raw("[null]"), N: 1}}}},
		{"a map of any", `{"anys":{"a":null,"b":1,"c":"null","d":{"x":null}}}`,
			holder{Anys: map[string]json.RawMessage{"a": nil, "b": raw("1"), "c": raw(`"null"`), "d": raw(`{"x":null}`)}}},
		{"maps of maps of any", `{"nested":{"r":{"c":null,"d":false},"s":{}}}`,
			holder{Nested: map[string]map[string]json.RawMessage{"r": {"c": nil, "d": raw("false")}, "s": {}}}},
		{"maps in an array", `{"rows":[{"k":{"m":null}},{"k":{"m":2}}]}`,
			holder{Rows: []map[string]withMeta{{"k": {}}, {"k": {M: raw("2")}}}}},
		{"pointers in a map", `{"ptrs":{"k":{"m":null},"z":null}}`,
			holder{Ptrs: map[string]*withMeta{"k": {}, "z": nil}}},
		{"arrays in a map", `{"pairs":{"k":[null,3]}}`,
			holder{Pairs: map[string][2]json.RawMessage{"k": {nil, raw("3")}}}},
		{"slices in a map", `{"lists":{"k":[null,3]}}`,
			holder{Lists: map[string][]json.RawMessage{"k": {nil, raw("3")}}}},
		{"a map without any", `{"plain":{"k":"null"}}`, holder{Plain: map[string]string{"k": "null"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v holder
			if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
				t.Fatal(err)
			}
			clearRawNulls(&v)
			if !reflect.DeepEqual(v, tc.want) {
				t.Errorf("%s decoded and cleared as\n%+v\nwant\n%+v", tc.in, v, tc.want)
			}
		})
	}
	m := map[string]json.RawMessage{"a": json.RawMessage("null")}
	clearRawNulls(&m)
	if v, ok := m["a"]; !ok || v != nil {
		t.Errorf("a top-level map of any: %q (present %v), want a nil value", v, ok)
	}
}
