package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestSplitEventValid(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantName string
		wantArgs []string
	}{
		{"no args", `["ping"]`, "ping", nil},
		{"one arg", `["chat",{"messageText":"hi"}]`, "chat", []string{`{"messageText":"hi"}`}},
		{"scalars", `["e",1,-2.5e3,true,false,null,"s"]`, "e", []string{`1`, `-2.5e3`, `true`, `false`, `null`, `"s"`}},
		{"nested", `["e",[[1,[2]],{"a":{"b":[]}}],{}]`, "e", []string{`[[1,[2]],{"a":{"b":[]}}]`, `{}`}},
		{"commas and brackets in strings", `["e","a,]}[{\"",{"k]":",\\"}]`, "e", []string{`"a,]}[{\""`, `{"k]":",\\"}`}},
		{"whitespace trimmed", " [ \"e\" ,\n 1 ,\t{ } ] ", "e", []string{`1`, `{ }`}},
		{"escaped name", `["a\"b\\c\u00e9\ud83c\udf0d\n"]`, "a\"b\\cé🌍\n", nil},
		{"lone surrogate name", `["\ud800"]`, "\ufffd", nil},
		{"invalid utf8 name", "[\"a\xffb\"]", "a\ufffdb", nil},
		{"empty name", `["",1]`, "", []string{`1`}},
		{"max args", `["e"` + strings.Repeat(",0", MaxEventArgs) + `]`, "e", strings.Split(strings.Repeat("0", MaxEventArgs), "")},
		{"deep nesting", `["e",` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `]`, "e", []string{strings.Repeat("[", 500) + strings.Repeat("]", 500)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, args, err := SplitEvent([]byte(tt.in))
			if err != nil {
				t.Fatalf("SplitEvent(%q): %v", tt.in, err)
			}
			if name != tt.wantName {
				t.Errorf("name = %q, want %q", name, tt.wantName)
			}
			if len(args) != len(tt.wantArgs) || (args == nil) != (tt.wantArgs == nil) {
				t.Fatalf("args = %q, want %q", args, tt.wantArgs)
			}
			for i := range args {
				if string(args[i]) != tt.wantArgs[i] {
					t.Errorf("args[%d] = %q, want %q", i, args[i], tt.wantArgs[i])
				}
				if cap(args[i]) != len(args[i]) {
					t.Errorf("args[%d] capacity %d exceeds its length %d", i, cap(args[i]), len(args[i]))
				}
			}
		})
	}
}

func TestSplitEventInvalid(t *testing.T) {
	const prefix = "eventwire: invalid packet: "
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "event payload is not valid JSON"},
		{"garbage", `["a"]x`, "event payload is not valid JSON"},
		{"unterminated", `["a",`, "event payload is not valid JSON"},
		{"object", `{"a":1}`, "event payload is not a JSON array"},
		{"string", `"a"`, "event payload is not a JSON array"},
		{"empty array", `[ ]`, "event payload is an empty array"},
		{"number name", `[1,"a"]`, "event name is not a JSON string"},
		{"null name", `[null]`, "event name is not a JSON string"},
		{"array name", `[["a"]]`, "event name is not a JSON string"},
		{"too many args", `["e"` + strings.Repeat(",0", MaxEventArgs+1) + `]`, "more than 32 event arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, args, err := SplitEvent([]byte(tt.in))
			if err == nil {
				t.Fatalf("SplitEvent(%q) = %q, %q, want error", tt.in, name, args)
			}
			if !errors.Is(err, ErrInvalidPacket) {
				t.Errorf("error %v does not wrap ErrInvalidPacket", err)
			}
			if err.Error() != prefix+tt.want {
				t.Errorf("error = %q, want %q", err.Error(), prefix+tt.want)
			}
		})
	}
}

func TestSplitEventArgsAliasInput(t *testing.T) {
	in := []byte(`["e",{"a":1}]`)
	_, args, err := SplitEvent(in)
	if err != nil {
		t.Fatal(err)
	}
	if &args[0][0] != &in[5] {
		t.Error("args[0] does not alias the input")
	}
}
