package middleware

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNewSchemaErrors(t *testing.T) {
	cyclic := &Shape{Kind: KindObject}
	cyclic.Fields = []FieldShape{{Name: "self", Shape: cyclic}}
	shared := str()
	tests := []struct {
		name   string
		schema Schema
		want   string // "" means valid
	}{
		{"valid", testSchema(), ""},
		{"shared shape", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: object(
			FieldShape{Name: "x", Shape: shared}, FieldShape{Name: "y", Shape: shared})}}}, ""},
		{"empty name", Schema{Events: []Event{{ClientSends: true}}}, "empty name"},
		{"duplicate", Schema{Events: []Event{{Name: "a", ClientSends: true}, {Name: "a", ServerSends: true}}}, "declared twice"},
		{"reserved", Schema{Events: []Event{{Name: "disconnect", ClientSends: true}}}, "reserved"},
		{"runtime prefix", Schema{Events: []Event{{Name: "eventwire:x", ClientSends: true}}}, "reserved"},
		{"no direction", Schema{Events: []Event{{Name: "a"}}}, "neither"},
		{"tag without payload", Schema{Events: []Event{{Name: "a", ClientSends: true, Tag: "min=1"}}}, "tag without a payload"},
		{"bad kind", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: &Shape{Kind: 99}}}}, "unknown kind"},
		{"array without items", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: &Shape{Kind: KindArray}}}}, "items"},
		{"items on a string", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: &Shape{Kind: KindString, Items: str()}}}}, "items"},
		{"nil field shape", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: object(FieldShape{Name: "x"})}}}, "nil shape"},
		{"duplicate field", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: object(
			FieldShape{Name: "x", Shape: str()}, FieldShape{Name: "x", Shape: str()})}}}, "duplicate field"},
		{"cyclic shape", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: cyclic}}}, "contains itself"},
		{"ack tag without ack", Schema{Events: []Event{{Name: "a", ClientSends: true, AckTag: "min=1"}}}, "ack validator tag without an ack"},
		{"bad ack shape", Schema{Events: []Event{{Name: "a", ServerSends: true, Ack: &Shape{Kind: KindArray}}}}, "ack: items"},
		{"valid auth", Schema{Auth: object(FieldShape{Name: "name", Required: true, Shape: str()})}, ""},
		{"auth not an object", Schema{Auth: str()}, "auth: must be an object, not string"},
		{"auth tag without auth", Schema{AuthTag: "min=1"}, "auth: a validator tag without an auth shape"},
		{"bad auth shape", Schema{Auth: object(FieldShape{Name: "x"})}, "auth.x: nil shape"},
		{"format on an integer", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: &Shape{Kind: KindInteger, Format: FormatDateTime}}}}, `format "date-time" on a integer`},
		{"unknown format", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: &Shape{Kind: KindString, Format: "email"}}}}, `unknown format "email"`},
		{"date-time and any", Schema{Events: []Event{{Name: "a", ClientSends: true, Payload: object(
			FieldShape{Name: "at", Shape: &Shape{Kind: KindString, Format: FormatDateTime}}, FieldShape{Name: "meta", Shape: &Shape{Kind: KindAny}})}}}, ""},
		{"bad pattern", Schema{Patterns: map[string]string{"ew_pattern_1": "("}}, "pattern"},
		{"pattern overriding a builtin", Schema{Patterns: map[string]string{"min": "^a$"}}, `must start with "ew_"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.schema.Source = "events.yaml"
			srv, err := New(tc.schema)
			if srv != nil {
				defer srv.Close()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want == "":
			case err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case !strings.HasPrefix(err.Error(), "eventwire: ") || !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want %q", err, tc.want)
			}
		})
	}
}

type badTag struct {
	X string `json:"x" validate:"no_such_rule"`
}

func TestHandleErrors(t *testing.T) {
	srv, err := New(testSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ok := func(context.Context, *Conn, browserToMessage) error { return nil }
	empty := func(context.Context, *Conn) error { return nil }
	if err := Handle(srv, "browser_to_message", ok); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		is   error
		want string
	}{
		{"unknown event", Handle(srv, "nope", ok), ErrUnknownEvent, `"nope"`},
		{"server-only event", Handle(srv, "link", func(context.Context, *Conn, string) error { return nil }), ErrNotAllowed, "link"},
		{"twice", Handle(srv, "browser_to_message", ok), nil, "already registered"},
		{"nil handler", Handle[string](srv, "act", nil), nil, "nil handler"},
		{"empty event with Handle", Handle(srv, "nudge", func(context.Context, *Conn, string) error { return nil }), nil, "use HandleEmpty"},
		{"payload event with HandleEmpty", HandleEmpty(srv, "act", empty), nil, "use Handle"},
		{"type mismatch", Handle(srv, "act", func(context.Context, *Conn, int) error { return nil }), nil, "cannot hold a JSON string"},
		{"struct for an array", Handle(srv, "numbers", func(context.Context, *Conn, browserToMessage) error { return nil }), nil, "cannot hold a JSON array"},
		{"bad validation tag", Handle(srv, "profile", func(context.Context, *Conn, badTag) error { return nil }), nil, "bad validation tag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Errorf("%v is not %v", tc.err, tc.is)
			}
			if !strings.HasPrefix(tc.err.Error(), "eventwire: ") || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("error %q, want %q", tc.err, tc.want)
			}
		})
	}
	// Pointer-to-struct and any payloads are accepted.
	if err := Handle(srv, "profile", func(context.Context, *Conn, *profile) error { return nil }); err != nil {
		t.Error(err)
	}
	if err := Handle(srv, "numbers", func(context.Context, *Conn, any) error { return nil }); err != nil {
		t.Error(err)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{NewError("forbidden", "no"), "eventwire: forbidden: no"},
		{errInvalidPayload([]Detail{newDetail("a", "required", "")}), "eventwire: invalid_payload: invalid payload (a is required)"},
		{errInvalidPayload([]Detail{newDetail("a", "required", ""), newDetail("b", "required", "")}),
			"eventwire: invalid_payload: invalid payload (a is required and 1 more)"},
		{nil, "eventwire: <nil Error>"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
