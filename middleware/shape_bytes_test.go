package middleware

import (
	"encoding/json"
	"testing"
)

func TestCheckArgsBytes(t *testing.T) {
	sh := &Shape{Kind: KindBytes}
	for _, tc := range []struct {
		arg  string
		want int // details
	}{
		{`"AAH/"`, 0},
		{`""`, 0},
		{`"AAH\/"`, 0}, // JSON escapes are resolved before decoding
		{`"AAH_"`, 1},  // URL-safe base64 is not what encoding/json decodes
		{`"AAE"`, 1},   // missing padding
		{`[0,1]`, 1},
		{`{"_placeholder":true,"num":0}`, 1},
	} {
		ds := checkArgs(sh, []json.RawMessage{json.RawMessage(tc.arg)})
		if len(ds) != tc.want || tc.want == 1 && (ds[0].Rule != "type" || ds[0].Param != "bytes") {
			t.Errorf("%s: details %+v, want %d type detail(s) with param bytes", tc.arg, ds, tc.want)
		}
	}
}

func TestValidatorBytesRules(t *testing.T) {
	pv, err := newPayloadValidator(nil)
	if err != nil {
		t.Fatal(err)
	}
	type upload struct {
		Data []byte `json:"data" validate:"min=2,max=3"`
	}
	for _, tc := range []struct {
		data []byte
		want Detail
	}{
		{[]byte{1}, Detail{Field: "data", Rule: "minBytes", Param: "2", Message: "data must be at least 2 bytes"}},
		{[]byte{1, 2, 3, 4}, Detail{Field: "data", Rule: "maxBytes", Param: "3", Message: "data must be at most 3 bytes"}},
	} {
		err := pv.check(t.Context(), &upload{Data: tc.data}, validateStruct, "", "upload")
		e, ok := err.(*Error)
		if !ok || len(e.Details) != 1 || e.Details[0] != tc.want {
			t.Errorf("%d bytes: %v, want %+v", len(tc.data), err, tc.want)
		}
	}
}
