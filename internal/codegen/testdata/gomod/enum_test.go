package check

import (
	"encoding/json"
	"reflect"
	"testing"

	"example.com/gentest/richevents"
)

// TestEnumTypes checks that an enum is a named Go type with a constant per
// value, inline ones (a field, an argument, array items) as well as named
// types, and that JSON decodes into it.
func TestEnumTypes(t *testing.T) {
	tests := []struct {
		name      string
		got, want any
	}{
		{"string field", richevents.PostCreateKindLink, richevents.PostCreateKind("link")},
		{"integer field", richevents.PostCreatePriority3, richevents.PostCreatePriority(3)},
		{"item field", richevents.InviteItemRoleGuest, richevents.InviteItemRole("guest")},
		{"argument", richevents.DrawTypeBox, richevents.DrawType("box")},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: constant is %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
	if k := reflect.TypeFor[richevents.PostCreatePriority]().Kind(); k != reflect.Int64 {
		t.Errorf("PostCreatePriority's underlying kind is %s, want int64", k)
	}
	var p richevents.PostCreate
	if err := json.Unmarshal([]byte(`{"kind":"image","priority":2}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Kind != richevents.PostCreateKindImage || p.Priority == nil || *p.Priority != richevents.PostCreatePriority2 {
		t.Errorf("decoded kind %q, priority %v; want the constants image and 2", p.Kind, p.Priority)
	}
}
