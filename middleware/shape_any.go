package middleware

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"
)

// A value of kind any decodes into a json.RawMessage, which encoding/json
// fills with the text "null" for a JSON null. clearRawNulls makes that a nil
// json.RawMessage instead, the absent value an optional field of any has
// when it is left out, so a handler tests one thing (len(m.Meta) == 0); nil
// encodes back as null.

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// holdsRaw caches, per Go type, whether a value of it can hold a
// json.RawMessage; a server decodes few types.
var holdsRaw sync.Map // reflect.Type -> bool

// clearRawNulls sets every json.RawMessage reachable in *v (through
// structs' exported fields, pointers, slices, arrays and map values) that
// holds JSON null to nil.
func clearRawNulls[T any](v *T) {
	rv := reflect.ValueOf(v).Elem()
	if typeHoldsRaw(rv.Type(), 0) {
		clearRaw(rv)
	}
}

func typeHoldsRaw(t reflect.Type, depth int) bool {
	if found, ok := holdsRaw.Load(t); ok {
		return found.(bool)
	}
	if depth > 32 {
		return true // deep or recursive: walk the value, which is finite
	}
	found := false
	switch {
	case t == rawMessageType:
		found = true
	case t.Kind() == reflect.Pointer, t.Kind() == reflect.Slice, t.Kind() == reflect.Array, t.Kind() == reflect.Map:
		found = typeHoldsRaw(t.Elem(), depth+1)
	case t.Kind() == reflect.Struct:
		for f := range t.Fields() {
			if f.IsExported() && typeHoldsRaw(f.Type, depth+1) {
				found = true
				break
			}
		}
	}
	if depth == 0 {
		holdsRaw.Store(t, found)
	}
	return found
}

// clearRaw clears the null json.RawMessages in v, which is settable or
// reached through a pointer, slice or map; it reports whether it changed
// one in v itself (rather than through a pointer or slice v shares).
func clearRaw(v reflect.Value) bool {
	changed := false
	switch {
	case v.Type() == rawMessageType:
		if v.CanSet() && bytes.Equal(bytes.TrimSpace(v.Bytes()), []byte("null")) {
			v.SetBytes(nil)
			changed = true
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			clearRaw(v.Elem())
		}
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() != reflect.Uint8:
		for i := range v.Len() {
			clearRaw(v.Index(i))
		}
	case v.Kind() == reflect.Array:
		for i := range v.Len() {
			changed = clearRaw(v.Index(i)) || changed
		}
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				changed = clearRaw(v.Field(i)) || changed
			}
		}
	case v.Kind() == reflect.Map:
		// A map value is not addressable: clear a copy and store it back
		// (assigning to a key already there is allowed while ranging).
		if v.Len() == 0 || !typeHoldsRaw(v.Type().Elem(), 0) {
			break
		}
		e := reflect.New(v.Type().Elem()).Elem()
		for it := v.MapRange(); it.Next(); {
			e.Set(it.Value())
			if clearRaw(e) {
				v.SetMapIndex(it.Key(), e)
			}
		}
	}
	return changed
}
