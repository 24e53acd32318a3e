package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// level and notice are what generated code would declare for the outbound
// test schema: an enum and a struct with validator tags.
type level string

type notice struct {
	Text  string  `json:"text" validate:"min=1,max=20"`
	Level level   `json:"level" validate:"oneof=info warn"`
	Code  *string `json:"code,omitempty" validate:"omitempty,ew_pattern_1"`
}

type noticeAck struct {
	Seen int64 `json:"seen" validate:"min=0"`
}

func outboundSchema() Schema {
	integer := &Shape{Kind: KindInteger}
	noticeShape := object(
		FieldShape{Name: "text", Required: true, Shape: str()},
		FieldShape{Name: "level", Required: true, Shape: str()},
		FieldShape{Name: "code", Shape: str()},
	)
	return Schema{
		Events: []Event{
			{Name: "notice", ServerSends: true, Payload: noticeShape},
			{Name: "ask", ServerSends: true, Payload: noticeShape, Ack: object(FieldShape{Name: "seen", Required: true, Shape: integer})},
			{Name: "word", ServerSends: true, Payload: str(), Tag: "min=2,max=5"},
			{Name: "move", ServerSends: true, Args: []FieldShape{
				{Name: "x", Required: true, Shape: integer}, {Name: "label", Shape: str()}},
				ArgTags: []string{"min=0", "max=3"}},
			{Name: "count", ClientSends: true, Ack: object(FieldShape{Name: "seen", Required: true, Shape: integer})},
			{Name: "next", ServerSends: true, Payload: str()},
		},
		Patterns: map[string]string{"ew_pattern_1": "^[a-z]+$"},
	}
}

func ptr[T any](v T) *T { return &v }

// TestOutboundValidation emits values that break the schema in each place a
// value can: every emit is refused with an invalid_payload *Error naming the
// field and rule, and nothing reaches the client; with ValidateOutbound off
// the same emit goes out.
func TestOutboundValidation(t *testing.T) {
	tests := []struct {
		name, event string
		args        []any
		want        []Detail // nil: the emit is valid
	}{
		{"valid struct", "notice", []any{notice{Text: "hi", Level: "info"}}, nil},
		{"valid pointer", "notice", []any{&notice{Text: "hi", Level: "warn", Code: ptr("ab")}}, nil},
		{"enum value outside the enum", "notice", []any{notice{Text: "hi", Level: "fatal"}},
			[]Detail{{Field: "level", Rule: "enum", Param: "info warn"}}},
		{"two rules broken", "notice", []any{&notice{Text: "", Level: "fatal"}},
			[]Detail{{Field: "text", Rule: "minLength", Param: "1"}, {Field: "level", Rule: "enum", Param: "info warn"}}},
		{"pattern on an optional field", "notice", []any{notice{Text: "hi", Level: "info", Code: ptr("AB")}},
			[]Detail{{Field: "code", Rule: "pattern", Param: "^[a-z]+$"}}},
		{"scalar payload with a tag", "word", []any{"x"}, []Detail{{Field: "", Rule: "minLength", Param: "2"}}},
		{"scalar payload through a pointer", "word", []any{ptr("toolong")}, []Detail{{Field: "", Rule: "maxLength", Param: "5"}}},
		{"an argument", "move", []any{int64(-1), ptr("ok")}, []Detail{{Field: "x", Rule: "min", Param: "0"}}},
		{"an optional argument", "move", []any{int64(1), "long"}, []Detail{{Field: "label", Rule: "maxLength", Param: "3"}}},
		{"an untyped map with a missing field", "notice", []any{map[string]any{"text": "hi"}},
			[]Detail{{Field: "level", Rule: "required"}}},
		{"an untyped map with an unknown key", "notice", []any{map[string]any{"text": "hi", "level": "info", "x": 1}},
			[]Detail{{Field: "x", Rule: "unknown"}}},
		{"an untyped map of the wrong type", "notice", []any{map[string]any{"text": 1, "level": "info"}},
			[]Detail{{Field: "text", Rule: "type", Param: "string"}}},
		{"null payload", "notice", []any{nil}, []Detail{{Field: "", Rule: "required"}}},
		// Rules live in Go types: a map passes on its shape alone.
		{"an untyped map is not checked against rules", "notice", []any{map[string]any{"text": "", "level": "fatal"}}, nil},
	}
	emits := []struct {
		name string
		emit func(h *harness, c *Conn, event string, args []any) error
	}{
		{"Conn.Emit", func(_ *harness, c *Conn, event string, args []any) error { return c.Emit(event, args...) }},
		{"Server.Broadcast", func(h *harness, _ *Conn, event string, args []any) error {
			return h.srv.Broadcast().Emit(event, args...)
		}},
		{"Conn.To", func(_ *harness, c *Conn, event string, args []any) error {
			return c.Broadcast().Emit(event, args...) // reaches no one: c is alone
		}},
	}
	for _, em := range emits {
		t.Run(em.name, func(t *testing.T) {
			h := newSchemaHarness(t, outboundSchema(), testConfig())
			cl, conn := h.connect()
			for _, tc := range tests {
				err := em.emit(h, conn, tc.event, tc.args)
				checkInvalid(t, tc.name, err, tc.want)
				if tc.want == nil && em.name != "Conn.To" {
					cl.readEvent(tc.event)
				}
			}
			// Nothing refused went out: the next frame is this one.
			if err := conn.Emit("next", "end"); err != nil {
				t.Fatal(err)
			}
			cl.readEvent("next")
		})
	}
	t.Run("off", func(t *testing.T) {
		cfg := testConfig()
		cfg.ValidateOutbound = false
		h := newSchemaHarness(t, outboundSchema(), cfg)
		cl, conn := h.connect()
		if err := conn.Emit("notice", notice{Text: "hi", Level: "fatal"}); err != nil {
			t.Fatalf("with ValidateOutbound off: %v", err)
		}
		if args := cl.readEvent("notice"); !strings.Contains(string(args[0]), `"fatal"`) {
			t.Errorf("sent %s", args[0])
		}
	})
}

// checkInvalid checks that err is nil when want is, else an invalid_payload
// *Error with exactly want's fields, rules and parameters.
func checkInvalid(t *testing.T, name string, err error, want []Detail) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s: %v, want it sent", name, err)
		}
		return
	}
	var we *Error
	if !errors.As(err, &we) || we.Code != "invalid_payload" {
		t.Errorf("%s: %v, want an invalid_payload *Error", name, err)
		return
	}
	got := make([]Detail, len(we.Details))
	for i, d := range we.Details {
		got[i] = Detail{Field: d.Field, Rule: d.Rule, Param: d.Param}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: details %+v, want %+v", name, got, want)
	}
}

// TestOutboundValidationEmitWithAck refuses a bad emit before an ack id is
// reserved: the call returns at once, and the client sees nothing.
func TestOutboundValidationEmitWithAck(t *testing.T) {
	h := newSchemaHarness(t, outboundSchema(), testConfig())
	cl, conn := h.connect()
	_, err := EmitWithAck[noticeAck](context.Background(), conn, "ask", notice{Text: "hi", Level: "loud"})
	checkInvalid(t, "EmitWithAck", err, []Detail{{Field: "level", Rule: "enum", Param: "info warn"}})
	if err := conn.Emit("next", "end"); err != nil {
		t.Fatal(err)
	}
	cl.readEvent("next")
}

// TestOutboundValidationReply answers an ack with a reply that breaks the
// schema: the client gets an internal error, the log the details.
func TestOutboundValidationReply(t *testing.T) {
	h := newSchemaHarness(t, outboundSchema(), testConfig())
	if err := HandleEmptyAck(h.srv, "count", func(context.Context, *Conn) (noticeAck, error) {
		return noticeAck{Seen: -2}, nil
	}); err != nil {
		t.Fatal(err)
	}
	cl, _ := h.connect()
	got := cl.emitAck("count")
	jsonEqual(t, got, `{"error":{"code":"internal","message":"internal error"}}`)
	if logs := h.logs.String(); !strings.Contains(logs, "seen must be at least 0") {
		t.Errorf("the log does not name the broken rule:\n%s", logs)
	}
}

// TestConforms checks which Go types the outbound check trusts to encode
// as their Shape (and validates by rules alone) and which it walks as
// encoded JSON: anything it cannot be sure of is walked.
func TestConforms(t *testing.T) {
	noticeShape := outboundSchema().Events[0].Payload
	type extra struct {
		notice
	}
	type unknownKey struct {
		Text  string `json:"text"`
		Level string `json:"level"`
		Other string `json:"other"`
	}
	type missingRequired struct {
		Text string `json:"text"`
	}
	type nullableRequired struct {
		Text  *string `json:"text"`
		Level string  `json:"level"`
	}
	type omittedRequired struct {
		Text  string `json:"text,omitempty"`
		Level string `json:"level"`
	}
	type quoted struct {
		Text  string `json:"text"`
		Level string `json:"level,string"`
	}
	type wrongKind struct {
		Text  int    `json:"text"`
		Level string `json:"level"`
	}
	type untagged struct {
		Text, Level string
	}
	tests := []struct {
		name string
		t    reflect.Type
		sh   *Shape
		want bool
	}{
		{"the generated struct", reflect.TypeFor[notice](), noticeShape, true},
		{"a pointer to it", reflect.TypeFor[*notice](), noticeShape, true},
		{"an embedded struct", reflect.TypeFor[extra](), noticeShape, false},
		{"an unknown key", reflect.TypeFor[unknownKey](), noticeShape, false},
		{"a required field missing", reflect.TypeFor[missingRequired](), noticeShape, false},
		{"a required field that may be null", reflect.TypeFor[nullableRequired](), noticeShape, false},
		{"a required field with omitempty", reflect.TypeFor[omittedRequired](), noticeShape, false},
		{"the ,string option", reflect.TypeFor[quoted](), noticeShape, false},
		{"a field of another JSON type", reflect.TypeFor[wrongKind](), noticeShape, false},
		{"field names without tags", reflect.TypeFor[untagged](), noticeShape, false},
		{"a map", reflect.TypeFor[map[string]any](), noticeShape, false},
		{"a json.RawMessage", reflect.TypeFor[json.RawMessage](), noticeShape, false},
		{"a named string", reflect.TypeFor[level](), str(), true},
		{"an int for a string", reflect.TypeFor[int](), str(), false},
		{"int64 for a number", reflect.TypeFor[int64](), &Shape{Kind: KindNumber}, true},
		{"float64 for an integer", reflect.TypeFor[float64](), &Shape{Kind: KindInteger}, false},
		{"a slice of strings", reflect.TypeFor[[]string](), arrayOf(str()), true},
		{"a slice of pointers: null items", reflect.TypeFor[[]*string](), arrayOf(str()), false},
		{"bytes", reflect.TypeFor[[]byte](), &Shape{Kind: KindBytes}, true},
		{"a time.Time marshals itself", reflect.TypeFor[time.Time](), str(), false},
		{"a string for a date-time: walked for its format", reflect.TypeFor[string](), dateTime(), false},
		{"strings for date-times", reflect.TypeFor[[]string](), arrayOf(dateTime()), false},
		{"a map of date-time strings", reflect.TypeFor[map[string]string](), mapOf(dateTime()), false},
	}
	for _, tt := range tests {
		if got := conforms(tt.t, tt.sh, 0); got != tt.want {
			t.Errorf("%s: conforms(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}
