package middleware

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkShapeCheck measures the inbound shape check of one payload per
// kind, so the cost of date-time, any and map can be read against plain
// strings of the same size:
//
//	go test -run '^$' -bench BenchmarkShapeCheck -benchmem ./middleware/
func BenchmarkShapeCheck(b *testing.B) {
	dateTime := &Shape{Kind: KindString, Format: FormatDateTime}
	entries := make([]string, 16)
	for i := range entries {
		entries[i] = fmt.Sprintf(`"user_%02d":"online"`, i)
	}
	for _, bc := range []struct {
		name    string
		shape   *Shape
		payload string
	}{
		{"string fields", object(
			FieldShape{Name: "a", Required: true, Shape: str()},
			FieldShape{Name: "b", Required: true, Shape: str()},
		), `{"a":"2026-12-08T10:30:00.25Z","b":"2026-12-08T10:30:00+01:00"}`},
		{"date-time fields", object(
			FieldShape{Name: "a", Required: true, Shape: dateTime},
			FieldShape{Name: "b", Required: true, Shape: dateTime},
		), `{"a":"2026-12-08T10:30:00.25Z","b":"2026-12-08T10:30:00+01:00"}`},
		{"any field", object(
			FieldShape{Name: "a", Required: true, Shape: &Shape{Kind: KindAny}},
		), `{"a":{"nested":[1,"two",true,null,{"k":"v"}]}}`},
		{"object of 16 fields", object(sixteenFields()...), "{" + strings.Join(entries, ",") + "}"},
		{"map of 16 entries", mapOf(str()), "{" + strings.Join(entries, ",") + "}"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			args := []json.RawMessage{json.RawMessage(bc.payload)}
			if d := checkArgs(bc.shape, args); d != nil {
				b.Fatalf("the payload fails its shape: %v", d)
			}
			b.ReportAllocs()
			for b.Loop() {
				checkArgs(bc.shape, args)
			}
		})
	}
}

// sixteenFields are the fields user_00 to user_15, the keys of the map case.
func sixteenFields() []FieldShape {
	fields := make([]FieldShape, 16)
	for i := range fields {
		fields[i] = FieldShape{Name: fmt.Sprintf("user_%02d", i), Required: true, Shape: str()}
	}
	return fields
}
