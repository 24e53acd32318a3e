package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestReplacePlaceholders(t *testing.T) {
	atts := [][]byte{{0x01, 0x02, 0xff}, {}}
	tests := []struct {
		name, in, want string
	}{
		{"event arg", `["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, `["up","AQL/",""]`},
		{"nested, either order", `["up",{"a":[{"num":1,"_placeholder":true}],"b":{"_placeholder":true,"num":0}}]`, `["up",{"a":[""],"b":"AQL/"}]`},
		{"duplicate keys kept", `[{"a":1,"a":{"_placeholder":true,"num":0},"x":{"_placeholder":true,"num":1}}]`, `[{"a":1,"a":"AQL/","x":""}]`},
		{"lookalikes untouched", `[{"_placeholder":false,"num":0},{"_placeholder":true,"num":0,"x":1},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`,
			`[{"_placeholder":false,"num":0},{"_placeholder":true,"num":0,"x":1},"AQL/",""]`},
		{"deepest placeholder", `[` + strings.Repeat("[", MaxPlaceholderDepth-2) + `{"_placeholder":true,"num":0}` + strings.Repeat("]", MaxPlaceholderDepth-2) + `,{"_placeholder":true,"num":1}]`,
			`[` + strings.Repeat("[", MaxPlaceholderDepth-2) + `"AQL/"` + strings.Repeat("]", MaxPlaceholderDepth-2) + `,""]`},
		{"same attachment twice", `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, `["AQL/","AQL/",""]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReplacePlaceholders([]byte(tt.in), atts)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReplacePlaceholdersInvalid(t *testing.T) {
	tests := []struct {
		name, in string
		n        int
	}{
		{"num out of range", `["x",{"_placeholder":true,"num":1}]`, 1},
		{"num negative", `["x",{"_placeholder":true,"num":-1}]`, 1},
		{"num not an integer", `["x",{"_placeholder":true,"num":0.5}]`, 1},
		{"num a string", `["x",{"_placeholder":true,"num":"0"}]`, 1},
		{"attachment unused", `["x",{"_placeholder":true,"num":0}]`, 2},
		{"no placeholder", `["x"]`, 1},
		{"placeholder too deep", `["x",` + strings.Repeat("[", MaxPlaceholderDepth) + `{"_placeholder":true,"num":0}` + strings.Repeat("]", MaxPlaceholderDepth) + `]`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			atts := make([][]byte, tt.n)
			_, err := ReplacePlaceholders([]byte(tt.in), atts)
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("err = %v, want ErrInvalidPacket", err)
			}
		})
	}
}

func FuzzReplacePlaceholders(f *testing.F) {
	f.Add([]byte(`["up",{"_placeholder":true,"num":0},{"a":[{"num":1,"_placeholder":true}]}]`), uint8(2))
	f.Add([]byte(`[{"_placeholder":true,"num":0.5}]`), uint8(1))
	f.Add([]byte(`[{"a":1,"a":2}]`), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		if !json.Valid(data) {
			return
		}
		atts := make([][]byte, int(n)%(MaxAttachments+1))
		for i := range atts {
			atts[i] = []byte{byte(i)}
		}
		out, err := ReplacePlaceholders(data, atts)
		if err != nil {
			if !errors.Is(err, ErrInvalidPacket) {
				t.Fatalf("error %v does not wrap ErrInvalidPacket", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("ReplacePlaceholders(%q) = %q, not JSON", data, out)
		}
	})
}
