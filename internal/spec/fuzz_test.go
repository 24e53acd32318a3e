package spec

import (
	"errors"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that its result keeps its
// promises: either a non-empty, positioned, sorted ErrorList and no spec, or
// a spec whose names are Go identifiers and whose references all resolve.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		for _, path := range files {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			checkErrorList(t, s, err)
			_, again := Parse("f.yaml", data)
			if again == nil || again.Error() != err.Error() {
				t.Fatalf("Parse is not deterministic:\n%v\nthen:\n%v", err, again)
			}
			return
		}
		checkSpec(t, s)
	})
}

func checkErrorList(t *testing.T, s *Spec, err error) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 || s != nil {
		t.Fatalf("Parse = %v, %T(%v); want nil and a non-empty ErrorList", s, err, err)
	}
	for i, e := range list {
		if e.Pos.File != "f.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
			t.Fatalf("malformed error %#v", e)
		}
		if i > 0 && list[i-1].Pos.Line > e.Pos.Line {
			t.Fatalf("errors not sorted by line:\n%v", list)
		}
	}
}

func checkSpec(t *testing.T, s *Spec) {
	t.Helper()
	if s == nil || s.Version != 1 || len(s.Events) == 0 {
		t.Fatalf("Parse succeeded with %+v", s)
	}
	if !slices.IsSortedFunc(s.Events, func(a, b *Event) int { return strings.Compare(a.Name, b.Name) }) ||
		!slices.IsSortedFunc(s.Types, func(a, b *NamedType) int { return strings.Compare(a.Name, b.Name) }) {
		t.Fatal("events or types not sorted")
	}
	goTypes := map[string]bool{}
	for _, nt := range s.Types {
		mustBeGoName(t, nt.GoName)
		goTypes[nt.GoName] = true
		checkSchema(t, nt.Schema, goTypes, 0)
	}
	if s.Auth != nil {
		checkSchema(t, s.Auth, goTypes, 0)
		if s.Auth.Resolve().Kind != KindObject {
			t.Fatalf("auth is a %s; the spec must only accept objects", s.Auth.Resolve().Kind)
		}
	}
	for _, e := range s.Events {
		mustBeGoName(t, e.GoName)
		if e.Direction != ToClient && e.Direction != ToServer && e.Direction != Both {
			t.Fatalf("event %q has direction %q", e.Name, e.Direction)
		}
		checkSchema(t, e.Payload, goTypes, 0)
		checkSchema(t, e.Ack, goTypes, 0)
	}
}

// checkSchema walks a schema; depth guards against a reference cycle the
// spec should have rejected.
func checkSchema(t *testing.T, s *Schema, goTypes map[string]bool, depth int) {
	t.Helper()
	if s == nil {
		return
	}
	if depth > 10000 {
		t.Fatal("schema nests without end: an undetected cycle")
	}
	switch s.Kind {
	case KindRef:
		if s.RefType == nil || s.Resolve() == nil || s.Resolve().Kind == KindRef {
			t.Fatalf("reference %q does not resolve", s.Ref)
		}
	case KindObject:
		mustBeGoName(t, s.GoName)
		if len(s.Fields) == 0 {
			t.Fatalf("object %s has no fields", s.GoName)
		}
		if s.RefType == nil && !goTypes[s.GoName] {
			goTypes[s.GoName] = true
		}
	case KindArray:
		if s.Items == nil {
			t.Fatal("array without items")
		}
	case KindMap:
		checkMapSchema(t, s)
	case KindString, KindInteger:
		if len(s.Rules.Enum) == 0 {
			break
		}
		mustBeGoName(t, s.GoName)
		if len(s.EnumConsts) != len(s.Rules.Enum) {
			t.Fatalf("enum %s has %d values but %d constants", s.GoName, len(s.Rules.Enum), len(s.EnumConsts))
		}
		for _, c := range s.EnumConsts {
			mustBeGoName(t, c)
		}
	}
	for _, f := range s.Fields {
		mustBeGoName(t, f.GoName)
		checkSchema(t, f.Schema, goTypes, depth+1)
	}
	checkSchema(t, s.Items, goTypes, depth+1)
	checkSchema(t, s.Values, goTypes, depth+1)
}

func mustBeGoName(t *testing.T, name string) {
	t.Helper()
	if !token.IsIdentifier(name) || !token.IsExported(name) {
		t.Fatalf("%q is not an exported Go identifier", name)
	}
}
