package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"
)

func TestIsDateTime(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"2026-12-08T00:10:10Z", true},
		{"2026-12-08T00:10:10.5Z", true},
		{"2026-12-08T00:10:10.123456789+05:30", true},
		{"2026-12-08T23:59:59-23:59", true},
		{"0000-01-01T00:00:00Z", true},
		{"2024-02-29T12:00:00Z", true},               // leap year
		{"2000-02-29T12:00:00Z", true},               // divisible by 400
		{"2026-12-08T00:10:10.0000000000001Z", true}, // more digits than a nanosecond
		{"1900-02-29T12:00:00Z", false},              // divisible by 100, not by 400
		{"2026-02-29T12:00:00Z", false},
		{"2026-04-31T12:00:00Z", false},
		{"2026-13-01T00:00:00Z", false},
		{"2026-00-01T00:00:00Z", false},
		{"2026-01-00T00:00:00Z", false},
		{"2026-12-08T24:00:00Z", false},
		{"2026-12-08T23:60:00Z", false},
		{"2026-12-31T23:59:60Z", false}, // no leap second
		{"2026-12-08t00:10:10Z", false}, // lower-case t
		{"2026-12-08T00:10:10z", false}, // lower-case z
		{"2026-12-08 00:10:10Z", false},
		{"2026-12-08T00:10:10", false},    // no offset
		{"2026-12-08T00:10:10.Z", false},  // empty fraction
		{"2026-12-08T00:10:10,5Z", false}, // comma fraction
		{"2026-12-08T00:10:10+0530", false},
		{"2026-12-08T00:10:10+24:00", false},
		{"2026-12-08T00:10:10+05:60", false},
		{"2026-12-08T00:10Z", false},
		{"2026-12-08", false},
		{"+2026-12-08T00:10:10Z", false},
		{"2026-1-08T00:10:10Z", false},
		{"２０２６-12-08T00:10:10Z", false}, // full-width digits
		{"2026-12-08T00:10:10Z ", false},
		{"", false},
	} {
		if got := IsDateTime(tc.s); got != tc.want {
			t.Errorf("IsDateTime(%q) = %v, want %v", tc.s, got, tc.want)
		}
		if tc.want {
			// Every accepted value must decode into a time.Time.
			var tm time.Time
			if err := json.Unmarshal([]byte(`"`+tc.s+`"`), &tm); err != nil {
				t.Errorf("%q: accepted, but time.Time refuses it: %v", tc.s, err)
			}
		}
	}
}

// FuzzIsDateTime compares IsDateTime with time.Parse(time.RFC3339Nano).
// Every string IsDateTime accepts must parse and decode into a time.Time, or
// the runtime would accept a payload it then cannot decode. Go's parser is
// more lenient than our grammar in ways goOnly lists; everywhere else the two
// must agree.
func FuzzIsDateTime(f *testing.F) {
	for _, s := range []string{
		"2026-12-08T00:10:10Z", "2026-12-08T00:10:10.123+05:30", "2024-02-29T00:00:00-00:00",
		"2026-02-29T00:00:00Z", "2026-12-08T24:00:00Z", "2026-12-08t00:10:10z", "2026-12-08T00:10:10.Z",
		"2026-12-31T23:59:60Z", "2026-12-08T00:10:10+23:59", "2026-12-08T00:10:10+24:00",
		"2026-12-08T00:10:10,5Z", "2026-12-08T00:10:10.1234567891Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours := IsDateTime(s)
		_, err := time.Parse(time.RFC3339Nano, s)
		if ours {
			var tm time.Time
			if jerr := json.Unmarshal([]byte(strconvQuote(s)), &tm); jerr != nil || err != nil {
				t.Fatalf("IsDateTime(%q), but time.Parse: %v, UnmarshalJSON: %v", s, err, jerr)
			}
			return
		}
		if err == nil && !goOnly(s) {
			t.Fatalf("IsDateTime(%q) = false, but time.Parse(RFC3339Nano) accepts it", s)
		}
	})
}

// goOnly reports the forms time.Parse accepts and our grammar refuses on
// purpose: anything not laid out digit for digit as the grammar says (a
// one-digit hour, a comma fraction...), and an offset hour of 24 or an
// offset minute above 59.
func goOnly(s string) bool {
	if !dateTimeLayout.MatchString(s) {
		return true
	}
	if s[len(s)-1] == 'Z' {
		return false
	}
	h, _ := digits(s[len(s)-5 : len(s)-3])
	m, _ := digits(s[len(s)-2:])
	return h > 23 || m > 59
}

var dateTimeLayout = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

func TestShapeCheckDateTimeAndAny(t *testing.T) {
	at := &Shape{Kind: KindString, Format: FormatDateTime}
	anyShape := &Shape{Kind: KindAny}
	payload := &Shape{Kind: KindObject, Fields: []FieldShape{
		{Name: "at", Required: true, Shape: at},
		{Name: "until", Shape: at},
		{Name: "log", Shape: &Shape{Kind: KindArray, Items: at}},
		{Name: "meta", Shape: anyShape},
		{Name: "extra", Required: true, Shape: anyShape},
		{Name: "bag", Shape: &Shape{Kind: KindArray, Items: anyShape}},
	}}
	const ok = `"at":"2026-12-08T00:10:10Z","extra":1`
	for _, tc := range []struct {
		name, json string
		want       []Detail
	}{
		{"valid", `{` + ok + `}`, nil},
		{"fraction and offset", `{"at":"2026-12-08T00:10:10.123456-07:00","extra":1}`, nil},
		{"escaped", `{"at":"2026-12-08\u005400:10:10Z","extra":1}`, nil},
		{"bad date-time", `{"at":"2026-02-30T00:00:00Z","extra":1}`, []Detail{newDetail("at", "format", "date-time")}},
		{"lower-case t", `{"at":"2026-12-08t00:10:10Z","extra":1}`, []Detail{newDetail("at", "format", "date-time")}},
		{"date-time not a string", `{"at":1765152610,"extra":1}`, []Detail{newDetail("at", "type", "string")}},
		{"required date-time null", `{"at":null,"extra":1}`, []Detail{newDetail("at", "required", "")}},
		{"optional date-time null", `{` + ok + `,"until":null}`, nil},
		{"bad optional date-time", `{` + ok + `,"until":"tomorrow"}`, []Detail{newDetail("until", "format", "date-time")}},
		{"bad item", `{` + ok + `,"log":["2026-12-08T00:10:10Z","2026-12-08"]}`, []Detail{newDetail("log[1]", "format", "date-time")}},
		{"any object", `{` + ok + `,"meta":{"a":[1,{"b":null}]}}`, nil},
		{"any array", `{` + ok + `,"meta":[1,"x",true]}`, nil},
		{"any string", `{` + ok + `,"meta":"x"}`, nil},
		{"any number", `{` + ok + `,"meta":-1.5e3}`, nil},
		{"any boolean", `{` + ok + `,"meta":false}`, nil},
		{"optional any null", `{` + ok + `,"meta":null}`, nil},
		{"required any null", `{"at":"2026-12-08T00:10:10Z","extra":null}`, []Detail{newDetail("extra", "required", "")}},
		{"required any absent", `{"at":"2026-12-08T00:10:10Z"}`, []Detail{newDetail("extra", "required", "")}},
		{"null item of any", `{` + ok + `,"bag":[null,1,{}]}`, nil},
		{"null item of date-time", `{` + ok + `,"log":[null]}`, []Detail{newDetail("log[0]", "type", "string")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkArgs(payload, []json.RawMessage{json.RawMessage(tc.json)})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("details %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestShapeCheckAnyPayload(t *testing.T) {
	for _, tc := range []struct {
		json string
		want []Detail
	}{
		{`{"a":1}`, nil}, {`[1]`, nil}, {`"s"`, nil}, {`0`, nil}, {`true`, nil},
		{`null`, []Detail{newDetail("", "required", "")}}, // a payload is always required
	} {
		if got := checkArgs(&Shape{Kind: KindAny}, []json.RawMessage{json.RawMessage(tc.json)}); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: details %+v, want %+v", tc.json, got, tc.want)
		}
	}
}

func TestClearRawNulls(t *testing.T) {
	type inner struct {
		Meta json.RawMessage `json:"meta,omitempty"`
	}
	type payload struct {
		Meta  json.RawMessage   `json:"meta,omitempty"`
		Keep  json.RawMessage   `json:"keep,omitempty"`
		Bag   []json.RawMessage `json:"bag,omitempty"`
		In    *inner            `json:"in,omitempty"`
		Items []inner           `json:"items,omitempty"`
		At    time.Time         `json:"at"`
		Bytes []byte            `json:"bytes,omitempty"`
	}
	var v payload
	in := `{"meta":null,"keep":{"a":null},"bag":[null,1],"in":{"meta":null},"items":[{"meta":null},{"meta":[null]}],"at":"2026-12-08T00:10:10Z","bytes":"AQ=="}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if string(v.Meta) != "null" {
		t.Fatalf("encoding/json gave %q for null; this test assumes \"null\"", v.Meta)
	}
	clearRawNulls(&v)
	switch {
	case v.Meta != nil, v.Bag[0] != nil, v.In.Meta != nil, v.Items[0].Meta != nil:
		t.Errorf("a null json.RawMessage left: %+v", v)
	case string(v.Keep) != `{"a":null}`, string(v.Bag[1]) != "1", string(v.Items[1].Meta) != "[null]", len(v.Bytes) != 1:
		t.Errorf("a value changed: %+v", v)
	}
	out, err := json.Marshal(v.Bag)
	if err != nil || string(out) != "[null,1]" {
		t.Errorf("a nil item encodes as %s (%v), want null", out, err)
	}
	raw := json.RawMessage("null")
	clearRawNulls(&raw)
	if raw != nil {
		t.Errorf("a top-level null json.RawMessage stays %q", raw)
	}
}

func TestDateTimeOutbound(t *testing.T) {
	// What time.Time's MarshalJSON writes passes the shape check, so the
	// outbound check accepts what a handler emits.
	at := &Shape{Kind: KindString, Format: FormatDateTime}
	for _, tm := range []time.Time{
		time.Date(2026, 12, 8, 0, 10, 10, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.FixedZone("", -(23*3600+59*60))),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 0, 0, 0, 1, time.FixedZone("", 5*3600+30*60)),
	} {
		raw, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		if ds := checkArgs(at, []json.RawMessage{raw}); ds != nil {
			t.Errorf("%s: details %+v", raw, ds)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func dateTime() *Shape { return &Shape{Kind: KindString, Format: FormatDateTime} }

// statusShape and status are a payload with date-times and any values, as
// generated code declares them.
func statusShape() *Shape {
	return object(
		FieldShape{Name: "at", Required: true, Shape: dateTime()},
		FieldShape{Name: "until", Shape: dateTime()},
		FieldShape{Name: "meta", Shape: &Shape{Kind: KindAny}},
		FieldShape{Name: "log", Shape: arrayOf(dateTime())},
		FieldShape{Name: "bag", Shape: arrayOf(&Shape{Kind: KindAny})},
	)
}

type status struct {
	At    time.Time         `json:"at"`
	Until *time.Time        `json:"until,omitempty"`
	Meta  json.RawMessage   `json:"meta,omitempty"`
	Log   []time.Time       `json:"log,omitempty" validate:"omitempty,max=3"`
	Bag   []json.RawMessage `json:"bag,omitempty"`
}

// TestHandleDateTimeAndAny registers handlers taking a bare time.Time and a
// struct with date-times and any values, as generated code does: both
// decode (validator is not run on a bare time.Time, which it refuses), and
// a null meta reaches the handler as nil.
func TestHandleDateTimeAndAny(t *testing.T) {
	srv, err := New(testSchema(), WithConfig(testConfig()))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	got := make(chan any, 1)
	mustOK := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustOK(Handle(srv, "when", func(_ context.Context, _ *Conn, v time.Time) error { got <- v; return nil }))
	mustOK(Handle(srv, "status", func(_ context.Context, _ *Conn, v status) error { got <- v; return nil }))
	call := func(event, payload string) error {
		_, err := srv.events[event].getHandler()(context.Background(), nil, InboundEvent{Name: event, Args: []json.RawMessage{json.RawMessage(payload)}})
		return err
	}
	if err := call("when", `"2026-12-08T10:30:00.25+01:00"`); err != nil {
		t.Fatalf("when: %v", err)
	}
	if v := (<-got).(time.Time); !v.Equal(time.Date(2026, 12, 8, 9, 30, 0, 250_000_000, time.UTC)) {
		t.Errorf("when decoded as %v", v)
	}
	if err := call("status", `{"at":"2026-12-08T10:30:00Z","meta":null,"bag":[null,{"a":1}],"log":["2026-12-08T10:30:00Z"]}`); err != nil {
		t.Fatalf("status: %v", err)
	}
	v := (<-got).(status)
	if v.Meta != nil || v.Bag[0] != nil || string(v.Bag[1]) != `{"a":1}` || len(v.Log) != 1 {
		t.Errorf("status decoded as %+v", v)
	}
	var we *Error
	if err := call("status", `{"at":"2026-12-08T10:30:00Z","log":["2026-12-08T10:30:00Z","2026-12-08T10:30:00Z","2026-12-08T10:30:00Z","2026-12-08T10:30:00Z"]}`); !errors.As(err, &we) || we.Details[0].Rule != "maxItems" {
		t.Errorf("four log items: %v, want maxItems", err)
	}
}
