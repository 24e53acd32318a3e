package middleware

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// invalid builds the expected ack body of an invalid_payload reply.
func invalid(details ...string) string {
	return `{"error":{"code":"invalid_payload","message":"invalid payload","details":[` + strings.Join(details, ",") + `]}}`
}

func TestEventErrors(t *testing.T) {
	h := newHarness(t, testConfig())
	c, _ := h.connect()
	tests := []struct {
		name  string
		event string
		args  []string
		want  string // the error object
	}{
		{"unknown event", "no_such_event", []string{"1"}, `{"code":"unknown_event","message":"unknown event"}`},
		{"server-only event", "server_back_message", []string{`{"messageText":"x"}`}, `{"code":"not_allowed","message":"clients may not send this event"}`},
		{"error event name", ErrorEvent, []string{`{}`}, `{"code":"unknown_event","message":"unknown event"}`},
		{"invalid payload", "browser_to_message", []string{`{"messageText":""}`},
			`{"code":"invalid_payload","message":"invalid payload","details":[{"field":"messageText","rule":"minLength","param":"1","message":"messageText must be at least 1 characters"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" via ack", func(t *testing.T) {
			jsonEqual(t, c.emitAck(tc.event, tc.args...), `{"error":`+tc.want+`}`)
		})
		t.Run(tc.name+" via "+ErrorEvent, func(t *testing.T) {
			c.send("42" + eventJSON(tc.event, tc.args...))
			args := c.readEvent(ErrorEvent)
			if len(args) != 1 {
				t.Fatalf("%d args", len(args))
			}
			name, _ := json.Marshal(tc.event)
			jsonEqual(t, string(args[0]), `{"event":`+string(name)+`,`+tc.want[1:])
		})
	}
}

type payloadCase struct {
	name  string
	event string
	args  []string
	want  string
}

// invalidPayloadCases are payloads of the test schema and their replies.
func invalidPayloadCases() []payloadCase {
	d := func(field, rule, param, msg string) string {
		b, _ := json.Marshal(Detail{Field: field, Rule: rule, Param: param, Message: msg})
		return string(b)
	}
	return []payloadCase{
		{"missing required fields", "profile", []string{`{}`}, invalid(
			d("age", "required", "", "age is required"), d("role", "required", "", "role is required"))},
		{"null required field", "profile", []string{`{"age":null,"role":"user"}`}, invalid(d("age", "required", "", "age is required"))},
		{"fraction for integer", "profile", []string{`{"age":1.5,"role":"user"}`}, invalid(d("age", "type", "integer", "age must be of type integer"))},
		{"1.0 for integer", "profile", []string{`{"age":1.0,"role":"user"}`}, invalid(d("age", "type", "integer", "age must be of type integer"))},
		{"exponent for integer", "profile", []string{`{"age":1e2,"role":"user"}`}, invalid(d("age", "type", "integer", "age must be of type integer"))},
		{"integer overflow", "profile", []string{`{"age":99999999999999999999,"role":"user"}`}, invalid(d("age", "type", "integer", "age must be of type integer"))},
		{"string for integer", "profile", []string{`{"age":"1","role":"user"}`}, invalid(d("age", "type", "integer", "age must be of type integer"))},
		{"number overflow", "profile", []string{`{"age":1,"role":"user","score":1e400}`}, invalid(d("score", "type", "number", "score must be of type number"))},
		{"unknown keys in order", "profile", []string{`{"zeta":1,"age":1,"role":"user","Age":2}`}, invalid(
			d("zeta", "unknown", "", "zeta is not a known field"), d("Age", "unknown", "", "Age is not a known field"))},
		{"duplicate key", "profile", []string{`{"age":1,"age":2,"role":"user"}`}, invalid(d("", "type", "object", "payload must be of type object"))},
		{"below min", "profile", []string{`{"age":-1,"role":"user"}`}, invalid(d("age", "min", "0", "age must be at least 0"))},
		{"above max", "profile", []string{`{"age":151,"role":"user"}`}, invalid(d("age", "max", "150", "age must be at most 150"))},
		{"float max", "profile", []string{`{"age":1,"role":"user","score":9.75}`}, invalid(d("score", "max", "9.5", "score must be at most 9.5"))},
		{"enum", "profile", []string{`{"age":1,"role":"boss"}`}, invalid(d("role", "enum", "admin user", "role must be one of admin user"))},
		{"pattern", "profile", []string{`{"age":1,"role":"user","nickname":"Bob"}`}, invalid(d("nickname", "pattern", "^[a-z]+$", "nickname must match ^[a-z]+$"))},
		{"format", "profile", []string{`{"age":1,"role":"user","email":"not-an-email"}`}, invalid(d("email", "format", "email", "email must be a valid email"))},
		{"present empty array has min items", "profile", []string{`{"age":1,"role":"user","tags":[]}`}, invalid(d("tags", "minItems", "1", "tags must have at least 1 items"))},
		{"max items", "profile", []string{`{"age":1,"role":"user","tags":["a","b","c","d"]}`}, invalid(d("tags", "maxItems", "3", "tags must have at most 3 items"))},
		{"item max length", "profile", []string{`{"age":1,"role":"user","tags":["ok","toolong"]}`}, invalid(d("tags[1]", "maxLength", "5", "tags[1] must be at most 5 characters"))},
		{"item type", "profile", []string{`{"age":1,"role":"user","tags":["ok",7]}`}, invalid(d("tags[1]", "type", "string", "tags[1] must be of type string"))},
		{"null item", "profile", []string{`{"age":1,"role":"user","tags":[null]}`}, invalid(d("tags[0]", "type", "string", "tags[0] must be of type string"))},
		{"nested required", "profile", []string{`{"age":1,"role":"user","address":{}}`}, invalid(d("address.city", "required", "", "address.city is required"))},
		{"nested rule", "profile", []string{`{"age":1,"role":"user","address":{"city":""}}`}, invalid(d("address.city", "minLength", "1", "address.city must be at least 1 characters"))},
		{"nested type", "profile", []string{`{"age":1,"role":"user","address":"Paris"}`}, invalid(d("address", "type", "object", "address must be of type object"))},
		{"object in array", "profile", []string{`{"age":1,"role":"user","items":[{"name":"ok"},{"name":"x","extra":true}]}`}, invalid(
			d("items[1].extra", "unknown", "", "items[1].extra is not a known field"))},
		{"rule in array object", "profile", []string{`{"age":1,"role":"user","items":[{"name":"ok"},{"name":"x"}]}`}, invalid(
			d("items[1].name", "minLength", "2", "items[1].name must be at least 2 characters"))},
		{"case-variant key", "browser_to_message", []string{`{"MessageText":"hi"}`}, invalid(
			d("messageText", "required", "", "messageText is required"), d("MessageText", "unknown", "", "MessageText is not a known field"))},
		{"too long message", "browser_to_message", []string{`{"messageText":"` + strings.Repeat("é", 501) + `"}`}, invalid(
			d("messageText", "maxLength", "500", "messageText must be at most 500 characters"))},
		{"payload not an object", "browser_to_message", []string{`"hi"`}, invalid(d("", "type", "object", "payload must be of type object"))},
		{"payload null", "browser_to_message", []string{`null`}, invalid(d("", "required", "", "payload is required"))},
		{"payload missing", "browser_to_message", nil, invalid(d("", "required", "", "payload is required"))},
		{"two arguments", "browser_to_message", []string{`{"messageText":"a"}`, `{"messageText":"b"}`}, invalid(d("", "type", "object", "payload must be of type object"))},
		{"argument to an empty event", "nudge", []string{`1`}, invalid(d("", "type", "none", "payload must be of type none"))},
		{"scalar too short", "echo", []string{`""`}, invalid(d("", "minLength", "1", "payload must be at least 1 characters"))},
		{"scalar too long", "echo", []string{`"toolong"`}, invalid(d("", "maxLength", "5", "payload must be at most 5 characters"))},
		{"scalar type", "echo", []string{`5`}, invalid(d("", "type", "string", "payload must be of type string"))},
		{"array too short", "numbers", []string{`[]`}, invalid(d("", "minItems", "1", "payload must have at least 1 items"))},
		{"array too long", "numbers", []string{`[1,2,3,4]`}, invalid(d("", "maxItems", "3", "payload must have at most 3 items"))},
		{"array item rule", "numbers", []string{`[1,-1]`}, invalid(d("[1]", "min", "0", "[1] must be at least 0"))},
		{"array item type", "numbers", []string{`[1,true]`}, invalid(d("[1]", "type", "integer", "[1] must be of type integer"))},
	}
}

func TestInvalidPayloadDetails(t *testing.T) {
	h := newHarness(t, testConfig())
	c, _ := h.connect()
	for _, tc := range invalidPayloadCases() {
		t.Run(tc.name, func(t *testing.T) {
			jsonEqual(t, c.emitAck(tc.event, tc.args...), tc.want)
		})
	}
	select {
	case v := <-h.got:
		t.Errorf("an invalid payload reached a handler: %#v", v)
	default:
	}
}

func TestDetailsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"age":1,"role":"user"`)
	for i := range 1000 {
		b.WriteString(`,"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `_` + itoa(i) + `":1`)
	}
	b.WriteString("}")
	ds := checkArgs(testSchema().Events[3].Payload, []json.RawMessage{json.RawMessage(b.String())})
	if len(ds) != maxDetails {
		t.Errorf("%d details, want %d", len(ds), maxDetails)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestValidEventsReachHandlers(t *testing.T) {
	h := newHarness(t, testConfig())
	c, _ := h.connect()
	nick, email, score := "bob", "bob@example.com", 2.5
	tests := []struct {
		name  string
		event string
		args  []string
		want  any
	}{
		{"object with all fields", "profile", []string{
			`{"age":42,"role":"admin","nickname":"bob","email":"bob@example.com","tags":["a","bc"],"score":2.5,"address":{"city":"Oslo"},"items":[{"name":"ab"}]}`},
			profile{Age: 42, Role: "admin", Nickname: &nick, Email: &email, Tags: []string{"a", "bc"}, Score: &score,
				Address: &profileAddress{City: "Oslo"}, Items: []profileItem{{Name: "ab"}}}},
		{"optional nulls", "profile", []string{`{"age":0,"role":"user","nickname":null,"address":null,"tags":null}`},
			profile{Role: "user"}},
		{"optional empty array without rules", "profile", []string{`{"age":0,"role":"user","items":[]}`},
			profile{Role: "user", Items: []profileItem{}}},
		{"array payload", "numbers", []string{`[0, 7]`}, []int64{0, 7}},
		{"empty event", "nudge", nil, "nudge"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" with ack", func(t *testing.T) {
			jsonEqual(t, c.emitAck(tc.event, tc.args...), `{"data":null}`)
			if got := h.waitGot(t); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("handler got %#v, want %#v", got, tc.want)
			}
		})
		t.Run(tc.name+" without ack", func(t *testing.T) {
			c.send("42" + eventJSON(tc.event, tc.args...))
			if got := h.waitGot(t); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("handler got %#v, want %#v", got, tc.want)
			}
		})
	}
	// Success without an ack id sends nothing: the next frame is the echo.
	c.send(`42["echo","hey"]`)
	if args := c.readEvent("echo"); len(args) != 1 || string(args[0]) != `"hey"` {
		t.Errorf("echo args %q", args)
	}
}

func TestHandlerErrors(t *testing.T) {
	h := newHarness(t, testConfig())
	c, _ := h.connect()
	tests := []struct {
		what string
		want string
		log  string // must appear in the log
	}{
		{"coded", `{"error":{"code":"forbidden","message":"you may not"}}`, ""},
		{"wrapped", `{"error":{"code":"conflict","message":"taken"}}`, ""},
		{"plain", `{"error":{"code":"internal","message":"internal error"}}`, "db password is hunter2"},
		{"panic", `{"error":{"code":"internal","message":"internal error"}}`, "boom: hunter2"},
	}
	for _, tc := range tests {
		t.Run(tc.what, func(t *testing.T) {
			got := c.emitAck("act", `"`+tc.what+`"`)
			jsonEqual(t, got, tc.want)
			if strings.Contains(got, "hunter2") {
				t.Errorf("the cause leaked to the client: %s", got)
			}
			if tc.log == "" {
				return
			}
			logs := h.logs.String()
			for _, want := range []string{tc.log, "event=act", "socket_id=" + c.id, "session_id=" + c.open.SID, "remote="} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
	if !strings.Contains(h.logs.String(), "goroutine") {
		t.Error("the panic was logged without a stack")
	}
	// The connection survived the panic.
	jsonEqual(t, c.emitAck("act", `"fine"`), `{"data":null}`)
}

func TestUnregisteredHandler(t *testing.T) {
	h := newBareHarness(t, testConfig())
	c, _ := h.connect()
	jsonEqual(t, c.emitAck("nudge"), `{"error":{"code":"internal","message":"internal error"}}`)
	if !strings.Contains(h.logs.String(), "no handler registered") {
		t.Errorf("not logged:\n%s", h.logs.String())
	}
}
