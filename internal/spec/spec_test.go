package spec

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// parseErrors parses src and returns its error lines; a successful parse
// returns nil.
func parseErrors(t *testing.T, src string) []string {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	if err == nil {
		if s == nil {
			t.Fatal("Parse returned neither a spec nor an error")
		}
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Parse error is %T, want ErrorList: %v", err, err)
	}
	return strings.Split(list.Error(), "\n")
}

// event wraps a payload schema in a minimal valid spec.
func event(payload string) string {
	return "version: 1\nevents:\n  e:\n    direction: to_server\n    payload: " + payload + "\n"
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // exact error lines
	}{
		{"syntax", "version: 1\nevents: [\n", []string{"t.yaml:2:1: invalid YAML: did not find expected node content"}},
		{"unknown anchor", "version: 1\nevents:\n  a: *x\n", []string{
			"t.yaml:3:6: YAML aliases (*x) are not supported (declare a named type under types: and refer to it)"}},
		{"version missing", "events: {e: {direction: both}}\n", []string{"t.yaml:1:1: missing version (add version: 1 at the top)"}},
		{"version 0", "version: 0\nevents: {e: {direction: both}}\n", []string{
			"t.yaml:1:10: unsupported version 0 (this eventwire reads version: 1)"}},
		{"unknown top key", "version: 1\nevent: {}\nevents: {e: {direction: both}}\n", []string{
			`t.yaml:2:1: unknown key "event" in the top-level mapping (did you mean "events"?)`}},
		{"unknown type", event("{type: strin}"), []string{`t.yaml:5:21: unknown type "strin" (did you mean "string"?)`}},
		{"bool synonym", event("{type: bool}"), []string{`t.yaml:5:21: unknown type "bool" (did you mean "boolean"?)`}},
		{"minLength on integer", event("{type: integer, minLength: 1}"), []string{
			`t.yaml:5:30: minLength does not apply to type integer in the payload of event "e" (numbers use min and max)`}},
		{"pattern on number", event("{type: number, pattern: x}"), []string{
			`t.yaml:5:29: pattern does not apply to type number in the payload of event "e" (pattern applies to strings)`}},
		{"items on string", event("{type: string, items: {type: string}}"), []string{
			`t.yaml:5:29: items does not apply to type string in the payload of event "e" (items applies to arrays)`}},
		{"min above max", event("{type: number, min: 2, max: 1}"), []string{"t.yaml:5:29: min 2 is above max 1"}},
		{"minItems above maxItems", event("{type: array, items: {type: string}, minItems: 2, maxItems: 1}"), []string{
			"t.yaml:5:51: minItems 2 is above maxItems 1"}},
		{"negative maxLength", event("{type: string, maxLength: -1}"), []string{"t.yaml:5:40: maxLength must not be negative"}},
		{"integral bound", event("{type: integer, max: 0.5}"), []string{"t.yaml:5:35: max 0.5 must be a whole number for type integer"}},
		{"regex", event(`{type: string, pattern: "a(" }`), []string{
			"t.yaml:5:38: invalid pattern: error parsing regexp: missing closing ): `a(`"}},
		{"enum pipe", event(`{type: string, enum: ["a|b"]}`), []string{
			`t.yaml:5:36: enum value "a|b" contains "|" (validator's oneof cannot express it; avoid white space and , | ' " ` + "`" + ` \)`}},
		{"enum on boolean", event("{type: boolean, enum: [true]}"), []string{
			`t.yaml:5:30: enum does not apply to type boolean in the payload of event "e" (enum applies to strings and integers)`}},
		{"format", event("{type: string, format: uuid4}"), []string{`t.yaml:5:37: unknown format "uuid4" (did you mean "uuid"?)`}},
		{"array without items", event("{type: array}"), []string{
			`t.yaml:5:14: the payload of event "e" is an array and needs items (add items: {type: string})`}},
		{"direction", "version: 1\nevents:\n  e: {direction: in}\n", []string{
			`t.yaml:3:18: invalid direction "in" (use to_client, to_server or both)`}},
		{"reserved", "version: 1\nevents:\n  disconnecting: {direction: both}\n", []string{
			`t.yaml:3:3: event name "disconnecting" cannot be used: it is reserved by Socket.IO (rename the event)`}},
		{"self reference", "version: 1\ntypes:\n  A: {type: A}\nevents: {e: {direction: both}}\n", []string{
			"t.yaml:3:6: recursive type: A -> A (named types cannot contain themselves; break the cycle)"}},
		{"not a mapping", "version: 1\nevents:\n  e: {direction: both, payload: [string]}\n", []string{
			`t.yaml:3:33: the payload of event "e" must be a mapping such as {type: string}, not a list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrors(t, tt.src)
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, s *Spec)
	}{
		{"event without payload", "version: 1\nevents:\n  ping: {direction: both}\n", func(t *testing.T, s *Spec) {
			if e := s.Events[0]; e.Payload != nil || e.Ack != nil || !e.Direction.ClientSends() || !e.Direction.ServerSends() {
				t.Errorf("event = %+v", e)
			}
		}},
		{"sorted events", "version: 1\nevents:\n  b: {direction: both}\n  a: {direction: both}\n  C: {direction: both}\n",
			func(t *testing.T, s *Spec) {
				var names []string
				for _, e := range s.Events {
					names = append(names, e.Name)
				}
				if !slices.Equal(names, []string{"C", "a", "b"}) {
					t.Errorf("events in order %v", names)
				}
			}},
		{"integer enum canonical", event("{type: integer, enum: [0x10, +2, -0]}"), func(t *testing.T, s *Spec) {
			if got := s.Events[0].Payload.Rules.Enum; !slices.Equal(got, []string{"16", "2", "0"}) {
				t.Errorf("enum = %q", got)
			}
		}},
		{"min zero kept", event("{type: integer, min: 0}"), func(t *testing.T, s *Spec) {
			if r := s.Events[0].Payload.Rules; r.Min == nil || *r.Min != 0 || r.Max != nil {
				t.Errorf("rules = %+v", r)
			}
		}},
		{"ref resolves", "version: 1\nevents:\n  e: {direction: both, payload: {type: B}}\ntypes:\n  B: {type: A}\n  A: {type: string, maxLength: 3}\n",
			func(t *testing.T, s *Spec) {
				p := s.Events[0].Payload
				if p.Kind != KindRef || p.Ref != "B" || p.RefType != s.Types[1] || p.Resolve() != s.Types[0].Schema {
					t.Errorf("payload %+v does not resolve to A", p)
				}
				if got := p.Resolve().Rules.MaxLength; got == nil || *got != 3 {
					t.Errorf("resolved rules %+v", p.Resolve().Rules)
				}
			}},
		{"fields keep order", event("{type: object, fields: {z: {type: string}, a: {type: string, required: true}, m: {type: string}}}"),
			func(t *testing.T, s *Spec) {
				var names []string
				for _, f := range s.Events[0].Payload.Fields {
					names = append(names, f.Name+"/"+f.GoName)
				}
				if !slices.Equal(names, []string{"z/Z", "a/A", "m/M"}) || !s.Events[0].Payload.Fields[1].Required {
					t.Errorf("fields %v", names)
				}
			}},
		{"doc trimmed", "version: 1\nevents:\n  e:\n    direction: both\n    doc: |\n      Two\n      lines.\n\n", func(t *testing.T, s *Spec) {
			if got := s.Events[0].Doc; got != "Two\nlines." {
				t.Errorf("doc = %q", got)
			}
		}},
		{"positions", "version: 1\nevents:\n  e:\n    direction: both\n", func(t *testing.T, s *Spec) {
			if got := s.Events[0].Pos; got != (Pos{File: "t.yaml", Line: 3, Col: 3}) {
				t.Errorf("pos = %v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestEnumProblem(t *testing.T) {
	tests := []struct {
		v  string
		ok bool
	}{
		{"red", true}, {"dark-blue", true}, {"café", true}, {"a=b", true}, {"0x2", true},
		{"", false}, {"a b", false}, {"a\u00a0b", false}, {"a,b", false}, {"a|b", false}, {"'a'", false},
		{`"a"`, false}, {"a`b", false}, {`a\b`, false}, {"a\x00", false}, {"x0x2Cy", false}, {"0x7C", false},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			if got := enumProblem(tt.v); (got == "") != tt.ok {
				t.Errorf("enumProblem(%q) = %q, want ok %v", tt.v, got, tt.ok)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	pos := Pos{File: "events.yaml", Line: 3, Col: 5}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"plain", &Error{Pos: pos, Msg: "missing events"}, "events.yaml:3:5: missing events"},
		{"fix", &Error{Pos: pos, Msg: `invalid direction "x"`, Fix: `did you mean "both"?`},
			`events.yaml:3:5: invalid direction "x" (did you mean "both"?)`},
		{"list", ErrorList{{Pos: pos, Msg: "a"}, {Pos: pos, Msg: "b", Fix: "c"}},
			"events.yaml:3:5: a\nevents.yaml:3:5: b (c)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorListUnwrap(t *testing.T) {
	_, err := Parse("x.yaml", []byte("version: 3\n"))
	var e *Error
	if !errors.As(err, &e) || e.Pos.Line != 1 || e.Pos.File != "x.yaml" {
		t.Fatalf("errors.As(*Error) on %v gave %+v", err, e)
	}
}

func TestLoad(t *testing.T) {
	t.Run("missing file", func(t *testing.T) {
		_, err := Load("testdata/does-not-exist.yaml")
		if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "eventwire: ") {
			t.Fatalf("Load = %v; want a prefixed fs.ErrNotExist", err)
		}
	})
	t.Run("positions name the path", func(t *testing.T) {
		_, err := Load("testdata/invalid/version_missing.yaml")
		if err == nil || !strings.HasPrefix(err.Error(), "testdata/invalid/version_missing.yaml:1:1: ") {
			t.Fatalf("Load = %v", err)
		}
	})
}
