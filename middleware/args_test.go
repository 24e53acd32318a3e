package middleware

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

type argsStyle struct {
	Color string `json:"color" validate:"ew_pattern_1"`
}

// argsSchema has events with several positional arguments: move (x, y
// required, label optional; both directions), draw (a struct, an optional
// array; with an ack).
func argsSchema() Schema {
	integer := &Shape{Kind: KindInteger}
	return Schema{
		Source: "testdata/args.yaml",
		Events: []Event{
			{Name: "move", ClientSends: true, ServerSends: true, Args: []FieldShape{
				{Name: "x", Required: true, Shape: integer},
				{Name: "y", Required: true, Shape: integer},
				{Name: "label", Shape: str()},
			}, ArgTags: []string{"min=0,max=100", "", "max=5"}},
			{Name: "draw", ClientSends: true, Args: []FieldShape{
				{Name: "style", Required: true, Shape: object(FieldShape{Name: "color", Required: true, Shape: str()})},
				{Name: "tags", Shape: arrayOf(str())},
			}, ArgTags: []string{"", "max=2,dive,min=2"}, Ack: integer},
		},
		Patterns: map[string]string{"ew_pattern_1": "^[a-z]+$"},
	}
}

func registerArgs(t *testing.T, h *harness) {
	t.Helper()
	err := HandleArgs(h.srv, "move", func(ctx context.Context, c *Conn, args []json.RawMessage) (func() error, error) {
		x, err := DecodeArg[int64](ctx, h.srv, "move", 0, args[0])
		if err != nil {
			return nil, err
		}
		y, err := DecodeArg[int64](ctx, h.srv, "move", 1, args[1])
		if err != nil {
			return nil, err
		}
		label, err := DecodeArg[*string](ctx, h.srv, "move", 2, args[2])
		if err != nil {
			return nil, err
		}
		return func() error {
			l := "<nil>"
			if label != nil {
				l = *label
			}
			h.got <- fmt.Sprintf("move %d %d %s", x, y, l)
			return nil
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = HandleArgsAck(h.srv, "draw", func(ctx context.Context, c *Conn, args []json.RawMessage) (func() (int64, error), error) {
		style, err := DecodeArg[argsStyle](ctx, h.srv, "draw", 0, args[0])
		if err != nil {
			return nil, err
		}
		tags, err := DecodeArg[[]string](ctx, h.srv, "draw", 1, args[1])
		if err != nil {
			return nil, err
		}
		return func() (int64, error) { return int64(len(style.Color) + len(tags)), nil }, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestArgsDispatch(t *testing.T) {
	h := newSchemaHarness(t, argsSchema(), testConfig())
	registerArgs(t, h)
	c, _ := h.connect()
	d := func(field, rule, param string) string {
		b, _ := json.Marshal(newDetail(field, rule, param))
		return string(b)
	}
	tests := []struct {
		name  string
		event string
		args  []string
		want  string // the ack argument
		got   string // what the move handler saw, "" for none
	}{
		{"all args", "move", []string{"1", "2", `"ab"`}, `{"data":null}`, "move 1 2 ab"},
		{"optional left out", "move", []string{"1", "2"}, `{"data":null}`, "move 1 2 <nil>"},
		{"optional null", "move", []string{"1", "2", "null"}, `{"data":null}`, "move 1 2 <nil>"},
		{"missing required", "move", []string{"1"}, invalid(d("y", "required", "")), ""},
		{"no args", "move", nil, invalid(d("x", "required", ""), d("y", "required", "")), ""},
		{"required null", "move", []string{"null", "2"}, invalid(d("x", "required", "")), ""},
		{"too many", "move", []string{"1", "2", `"a"`, "4"}, invalid(d("", "type", "3 arguments")), ""},
		{"wrong type", "move", []string{"1", `"2"`, "3"}, invalid(d("y", "type", "integer"), d("label", "type", "string")), ""},
		{"rule on a scalar", "move", []string{"101", "2"}, invalid(d("x", "max", "100")), ""},
		{"rule on an optional", "move", []string{"1", "2", `"toolong"`}, invalid(d("label", "maxLength", "5")), ""},
		{"struct arg", "draw", []string{`{"color":"red"}`, `["ab","cd"]`}, `{"data":5}`, ""},
		{"struct arg only", "draw", []string{`{"color":"red"}`}, `{"data":3}`, ""},
		{"nested shape", "draw", []string{`{}`, `[1]`}, invalid(d("style.color", "required", ""), d("tags[0]", "type", "string")), ""},
		{"unknown key", "draw", []string{`{"color":"red","x":1}`}, invalid(d("style.x", "unknown", "")), ""},
		{"nested rule", "draw", []string{`{"color":"RED"}`}, invalid(d("style.color", "pattern", "^[a-z]+$")), ""},
		{"array rules", "draw", []string{`{"color":"red"}`, `["a","bb","cc"]`}, invalid(d("tags", "maxItems", "2")), ""},
		{"item rule", "draw", []string{`{"color":"red"}`, `["a"]`}, invalid(d("tags[0]", "minLength", "2")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jsonEqual(t, c.emitAck(tc.event, tc.args...), tc.want)
			if tc.got != "" {
				if got := h.waitGot(t); got != tc.got {
					t.Errorf("handler saw %q; want %q", got, tc.got)
				}
			}
		})
	}
	select {
	case v := <-h.got:
		t.Errorf("a refused event reached the handler: %v", v)
	default:
	}
}

func TestArgsEmit(t *testing.T) {
	h := newSchemaHarness(t, argsSchema(), testConfig())
	registerArgs(t, h)
	c, conn := h.connect()
	label := "ab"
	tests := []struct {
		name    string
		args    []any
		want    string // the frame's args, or the error's text
		wantErr bool
	}{
		{"all", []any{1, 2, &label}, `[1,2,"ab"]`, false},
		{"nil optional", []any{1, 2, (*string)(nil)}, `[1,2,null]`, false},
		{"required only", []any{1, 2}, `[1,2]`, false},
		{"too few", []any{1}, "takes 2 to 3 argument(s), got 1", true},
		{"too many", []any{1, 2, "a", 4}, "takes 2 to 3 argument(s), got 4", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := conn.Emit("move", tc.args...)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Emit = %v; want an error with %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			args, _ := json.Marshal(c.readEvent("move"))
			jsonEqual(t, string(args), tc.want)
		})
	}
}

func TestArgsRegistration(t *testing.T) {
	srv, err := New(argsSchema(), WithConfig(testConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	noop := func(context.Context, *Conn, []json.RawMessage) (func() error, error) { return nil, nil }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"Handle on an args event", Handle(srv, "move", func(context.Context, *Conn, string) error { return nil }), "use HandleArgs"},
		{"HandleArgs with an ack", HandleArgs(srv, "draw", noop), "use HandleArgsAck"},
		{"nil decode", HandleArgs(srv, "move", nil), "nil handler"},
		{"unknown", HandleArgs(srv, "nope", noop), "unknown event"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("err = %v; want %q", tc.err, tc.want)
			}
		})
	}
	bad := []struct {
		name string
		ev   Event
		want string
	}{
		{"empty", Event{Name: "e", ClientSends: true, Args: []FieldShape{}}, "empty args"},
		{"both", Event{Name: "e", ClientSends: true, Payload: str(), Args: []FieldShape{{Name: "a", Shape: str()}}}, "both a payload and args"},
		{"duplicate", Event{Name: "e", ClientSends: true, Args: []FieldShape{{Name: "a", Shape: str()}, {Name: "a", Shape: str()}}}, "duplicate"},
		{"order", Event{Name: "e", ClientSends: true, Args: []FieldShape{{Name: "a", Shape: str()}, {Name: "b", Required: true, Shape: str()}}}, "required after an optional"},
		{"tags", Event{Name: "e", ClientSends: true, Args: []FieldShape{{Name: "a", Shape: str()}}, ArgTags: []string{"", ""}}, "2 argument validator tags"},
	}
	for _, tc := range bad {
		t.Run("schema "+tc.name, func(t *testing.T) {
			_, err := New(Schema{Events: []Event{tc.ev}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New = %v; want %q", err, tc.want)
			}
		})
	}
}
