package codegen

import (
	"encoding/json"
	"testing"

	"github.com/eventwire/eventwire/middleware"
)

// TestNodeDateTimeMatchesRuntime runs the generated client's date-time check
// (validateStamp of richevents, whose payload is a bare date-time) on
// variants of valid date-times, each character replaced in turn, and
// compares each verdict with the runtime's middleware.IsDateTime: the client
// and the server must accept exactly the same strings.
func TestNodeDateTimeMatchesRuntime(t *testing.T) {
	node := nodeTool(t)
	dir := writeClientModule(t, "richevents")
	strs := dateTimeVariants()
	in := make([]jsCase, len(strs))
	for i, s := range strs {
		b, _ := json.Marshal(s) // a string always marshals
		in[i] = jsCase{Fn: "validateStamp", Payload: b}
	}
	var got [][]detail
	runNodeJSON(t, node, dir, in, &got)
	accepted := 0
	for i, s := range strs {
		js := len(got[i]) == 0
		if js != middleware.IsDateTime(s) {
			t.Errorf("%q: the JS client accepts it: %v, middleware.IsDateTime: %v (details %v)", s, js, !js, got[i])
		}
		if !js && (len(got[i]) != 1 || got[i][0].Rule != "format" || got[i][0].Param != "date-time") {
			t.Errorf("%q: details %v, want one format date-time", s, got[i])
		}
		if js {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(strs) {
		t.Errorf("%d of %d variants accepted: the cases do not test both verdicts", accepted, len(strs))
	}
}

// dateTimeVariants are edge dates and times, and each of them with every
// character replaced by every character of a small alphabet.
func dateTimeVariants() []string {
	bases := []string{
		"2024-02-29T23:59:59.123456789+23:59", "1900-02-28T00:00:00Z", "2000-02-29T12:30:45-00:00",
		"2026-12-31T19:09:09.5Z", "2026-04-30T20:00:00+05:30",
	}
	const alphabet = "0123456789TZtz:-+. ,"
	out := append([]string{"", "2026-12-08", "2026-12-08T10:30:00"}, bases...)
	for _, b := range bases {
		for i := range len(b) {
			for _, c := range alphabet {
				if byte(c) != b[i] {
					out = append(out, b[:i]+string(c)+b[i+1:])
				}
			}
		}
		out = append(out, b[:len(b)-1], b+"0", "\u0660"+b[1:]) // short, long, an Arabic-Indic digit
	}
	return out
}
