package middleware

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// inner and labels are what generated code declares for named map types;
// status the values of a map with an enum.
type (
	inner  map[string]int64
	labels map[string]string
)

// outboundKindsSchema has a map as a whole payload, an argument and an ack
// reply, each with rules in its tag (Schema.Maps), and date-times in every
// place a Go string can hold one.
func outboundKindsSchema() Schema {
	integer := &Shape{Kind: KindInteger}
	return Schema{
		Events: []Event{
			{Name: "inner", ServerSends: true, Payload: mapOf(integer), Tag: "ew_map_1"},
			{Name: "tagged", ServerSends: true, Args: []FieldShape{
				{Name: "n", Required: true, Shape: integer}, {Name: "labels", Shape: mapOf(str())}},
				ArgTags: []string{"", "ew_map_2"}},
			{Name: "statuses", ClientSends: true, Ack: mapOf(str()), AckTag: "ew_map_3"},
			{Name: "nested", ServerSends: true, Payload: object(FieldShape{Name: "m", Shape: mapOf(mapOf(integer))})},
			{Name: "log", ServerSends: true, Payload: arrayOf(dateTime())},
			{Name: "rec", ServerSends: true, Payload: object(FieldShape{Name: "atr", Shape: dateTime()})},
			{Name: "when", ServerSends: true, Payload: dateTime()},
			{Name: "meta", ServerSends: true, Payload: mapOf(&Shape{Kind: KindAny}), Tag: "ew_map_4"},
			{Name: "next", ServerSends: true, Payload: str()},
		},
		Maps: map[string]MapRule{
			"ew_map_1": {MaxProperties: "2", Values: "min=1"},
			"ew_map_2": {Values: "oneof=red blue"},
			"ew_map_3": {MinProperties: "1", Values: "oneof=online away"},
			"ew_map_4": {MaxProperties: "1", KeyPattern: "^[a-z]+$"},
		},
	}
}

type nestedMaps struct {
	M map[string]map[string]int64 `json:"m,omitempty"`
}

// TestOutboundValidationKinds emits maps and date-times held in Go types
// that encode to the right JSON type but can break a rule or a format:
// each is refused, as the same value inside a struct field or decoded from
// a client is, and nothing refused reaches the client.
func TestOutboundValidationKinds(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, event string
		args        []any
		want        []Detail // nil: the emit is valid
	}{
		{"a named map payload", "inner", []any{inner{"a": 1, "b": 2}}, nil},
		{"a named map payload over maxProperties", "inner", []any{inner{"a": 0, "b": 0, "c": 0}},
			[]Detail{{Field: "", Rule: "maxProperties", Param: "2"}}},
		{"a named map payload's value rules", "inner", []any{inner{"a": 1, "b": 0}},
			[]Detail{{Field: "b", Rule: "min", Param: "1"}}},
		{"a pointer to a named map payload", "inner", []any{&inner{"a": 0}},
			[]Detail{{Field: "a", Rule: "min", Param: "1"}}},
		{"a map[string]int64 payload", "inner", []any{map[string]int64{"a": 0}},
			[]Detail{{Field: "a", Rule: "min", Param: "1"}}},
		// Two keys that are not UTF-8 are both written "\ufffd": a
		// duplicate key, which the inbound check refuses too.
		{"keys that encode alike", "inner", []any{inner{"\xff": 1, "\xfe": 2}},
			[]Detail{{Field: "", Rule: "type", Param: "map"}}},
		{"keys that encode alike, deeper", "nested", []any{nestedMaps{M: map[string]map[string]int64{"k": {"\xff": 1, "\xfe": 2}}}},
			[]Detail{{Field: "m.k", Rule: "type", Param: "map"}}},
		{"a map with valid keys, deeper", "nested", []any{nestedMaps{M: map[string]map[string]int64{"k": {"é": 1, "e": 2}}}}, nil},
		{"a map argument", "tagged", []any{int64(1), labels{"a": "red"}}, nil},
		{"a map argument outside the enum", "tagged", []any{int64(1), labels{"a": "bad"}},
			[]Detail{{Field: "labels.a", Rule: "enum", Param: "red blue"}}},
		{"a map[string]string argument outside the enum", "tagged", []any{int64(1), map[string]string{"a b": "bad"}},
			[]Detail{{Field: `labels["a b"]`, Rule: "enum", Param: "red blue"}}},
		// Rules live in Go types: an untyped map passes on its shape alone.
		{"an untyped map argument is checked on its shape", "tagged", []any{int64(1), map[string]any{"a": "bad"}}, nil},
		{"an untyped map argument of the wrong type", "tagged", []any{int64(1), map[string]any{"a": 1}},
			[]Detail{{Field: "labels.a", Rule: "type", Param: "string"}}},
		// A map of any has no value rules, so its own rules apply to
		// json.RawMessage and interface values alike.
		{"a map of any", "meta", []any{map[string]json.RawMessage{"a": json.RawMessage(`[null]`)}}, nil},
		{"a map of json.RawMessage over maxProperties", "meta", []any{map[string]json.RawMessage{"a": json.RawMessage(`1`), "b": nil}},
			[]Detail{{Field: "", Rule: "maxProperties", Param: "1"}}},
		{"a map[string]any with a key outside keyPattern", "meta", []any{map[string]any{"B": 1}},
			[]Detail{{Field: "B", Rule: "keyPattern", Param: "^[a-z]+$"}}},
		{"date-time strings", "log", []any{[]string{"2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00"}}, nil},
		{"a string in an array that is no date-time", "log", []any{[]string{"2024-05-01T12:00:00Z", "garbage"}},
			[]Detail{{Field: "[1]", Rule: "format", Param: "date-time"}}},
		{"times", "log", []any{[]time.Time{at}}, nil},
		{"a string field that is no date-time", "rec", []any{struct {
			Atr string `json:"atr"`
		}{"garbage"}}, []Detail{{Field: "atr", Rule: "format", Param: "date-time"}}},
		{"a string pointer field that is no date-time", "rec", []any{struct {
			Atr *string `json:"atr,omitempty"`
		}{ptr("2024-13-01T00:00:00Z")}}, []Detail{{Field: "atr", Rule: "format", Param: "date-time"}}},
		{"the same as an untyped map", "rec", []any{map[string]any{"atr": "garbage"}},
			[]Detail{{Field: "atr", Rule: "format", Param: "date-time"}}},
		{"a date-time string payload", "when", []any{"2024-05-01T12:00:00Z"}, nil},
		{"a string payload that is no date-time", "when", []any{"yesterday"},
			[]Detail{{Field: "", Rule: "format", Param: "date-time"}}},
		{"a named string payload that is no date-time", "when", []any{level("yesterday")},
			[]Detail{{Field: "", Rule: "format", Param: "date-time"}}},
		{"a time payload", "when", []any{at}, nil},
	}
	h := newSchemaHarness(t, outboundKindsSchema(), testConfig())
	cl, conn := h.connect()
	for _, tc := range tests {
		for range 3 { // Go ranges over maps in a random order
			err := conn.Emit(tc.event, tc.args...)
			checkInvalid(t, tc.name, err, tc.want)
			if err == nil {
				cl.readEvent(tc.event) // fails the test when tc.want is not nil: only what is valid goes out
			}
		}
	}
	// A time encoding/json cannot write is an error too.
	if err := conn.Emit("when", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("a time after year 9999: sent")
	}
	// Nothing refused went out: the next frame is this one.
	if err := conn.Emit("next", "end"); err != nil {
		t.Fatal(err)
	}
	cl.readEvent("next")
}

// TestOutboundValidationMapReply answers an ack of a map with replies that
// break its rules: the client gets an internal error, the log the rule.
func TestOutboundValidationMapReply(t *testing.T) {
	tests := []struct {
		name  string
		reply labels
		log   string // "": the reply is valid
	}{
		{"valid", labels{"ann": "online"}, ""},
		{"under minProperties", labels{}, "must have at least 1 entries"},
		{"nil: under minProperties", nil, "is required"},
		{"a value outside the enum", labels{"k": "bad"}, "k must be one of online away"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newSchemaHarness(t, outboundKindsSchema(), testConfig())
			if err := HandleEmptyAck(h.srv, "statuses", func(context.Context, *Conn) (labels, error) {
				return tc.reply, nil
			}); err != nil {
				t.Fatal(err)
			}
			cl, _ := h.connect()
			got := cl.emitAck("statuses")
			if tc.log == "" {
				jsonEqual(t, got, `{"data":{"ann":"online"}}`)
				return
			}
			jsonEqual(t, got, `{"error":{"code":"internal","message":"internal error"}}`)
			if logs := h.logs.String(); !strings.Contains(logs, tc.log) {
				t.Errorf("the log does not name the broken rule (%q):\n%s", tc.log, logs)
			}
		})
	}
}

// TestOutboundValidationNullReply answers acks with replies that encode as
// null: an ack is required like every payload, of type any too, so the
// client gets internal and the log says the reply is null and what to do.
func TestOutboundValidationNullReply(t *testing.T) {
	anyAck := &Shape{Kind: KindAny}
	schema := Schema{Events: []Event{
		{Name: "free", ClientSends: true, Ack: anyAck},
		{Name: "obj", ClientSends: true, Ack: object(FieldShape{Name: "seen", Shape: &Shape{Kind: KindInteger}})},
		{Name: "list", ClientSends: true, Ack: arrayOf(str())},
	}}
	const logged = "the ack reply is null, and an ack is required like every payload"
	tests := []struct {
		name, event string
		register    func(*Server) error
		want, log   string
	}{
		{"a nil json.RawMessage for any", "free", func(s *Server) error {
			return HandleEmptyAck(s, "free", func(context.Context, *Conn) (json.RawMessage, error) { return nil, nil })
		}, `{"error":{"code":"internal","message":"internal error"}}`, logged},
		{"a json.RawMessage null for any", "free", func(s *Server) error {
			return HandleEmptyAck(s, "free", func(context.Context, *Conn) (json.RawMessage, error) { return json.RawMessage("null"), nil })
		}, `{"error":{"code":"internal","message":"internal error"}}`, logged},
		{"a value for any", "free", func(s *Server) error {
			return HandleEmptyAck(s, "free", func(context.Context, *Conn) (json.RawMessage, error) { return json.RawMessage(`[null]`), nil })
		}, `{"data":[null]}`, ""},
		{"a nil pointer for an object", "obj", func(s *Server) error {
			return HandleEmptyAck(s, "obj", func(context.Context, *Conn) (*struct {
				Seen int64 `json:"seen"`
			}, error) {
				return nil, nil
			})
		}, `{"error":{"code":"internal","message":"internal error"}}`, logged},
		{"a nil slice for an array", "list", func(s *Server) error {
			return HandleEmptyAck(s, "list", func(context.Context, *Conn) ([]string, error) { return nil, nil })
		}, `{"error":{"code":"internal","message":"internal error"}}`, logged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newSchemaHarness(t, schema, testConfig())
			if err := tc.register(h.srv); err != nil {
				t.Fatal(err)
			}
			cl, _ := h.connect()
			jsonEqual(t, cl.emitAck(tc.event), tc.want)
			if logs := h.logs.String(); tc.log != "" && !strings.Contains(logs, tc.log) {
				t.Errorf("the log does not say the reply is null (%q):\n%s", tc.log, logs)
			}
		})
	}
}

// FuzzOutboundMap emits a map of two entries with any keys, valid UTF-8
// or not, through the outbound check: whatever it lets out, the inbound
// check accepts as it was encoded, keys written alike included.
func FuzzOutboundMap(f *testing.F) {
	srv, err := New(outboundKindsSchema(), WithConfig(testConfig()), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	for _, seed := range []struct {
		k1, k2 string
		v1, v2 int64
	}{
		{"a", "b", 1, 2}, {"\xff", "\xfe", 1, 2}, {"\xff", "\ufffd", 1, 1}, {"a\x80", "a\xc0", 1, 1}, {"", "é", 0, 3},
	} {
		f.Add(seed.k1, seed.k2, seed.v1, seed.v2)
	}
	e := srv.events["inner"]
	f.Fuzz(func(t *testing.T, k1, k2 string, v1, v2 int64) {
		for _, v := range []any{inner{k1: v1, k2: v2}, map[string]int64{k1: v1, k2: v2}, &inner{k1: v1, k2: v2}} {
			raw, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if srv.checkOutbound(e, []any{v}, [][]byte{raw}) != nil {
				continue
			}
			if ds := checkInbound(&e.Event, []json.RawMessage{raw}); ds != nil {
				t.Fatalf("%#v went out as %s, which the inbound check refuses: %+v", v, raw, ds)
			}
		}
	})
}
