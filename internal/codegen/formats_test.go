package codegen

import (
	"encoding/json"
	"testing"

	"github.com/go-playground/validator/v10"
)

// formatSamples are strings near the edges of validator/v10's email, url and
// uuid checks, which the server runs and the JS client imitates.
func formatSamples() map[string][]string {
	return map[string][]string{
		"email": {
			"a@b.co", "a.b+c@example.co.uk", "user_name@example.com", "a@b", "a@b.c.", "a@b..c", "a..b@c.de",
			".a@b.cd", "a.@b.cd", "a@-b.cd", "a@b-.cd", "a@b.c1", "a@1.2.3.4", "a@[1.2.3.4]", `"quoted"@example.com`,
			`"a b"@example.com`, "üser@exämple.com", "a b@c.de", "", "@b.cd", "a@", "Name <a@b.cd>", "a@b.cd ",
			" a@b.cd", "a@b_c.de", "x@y.z", "a@b.co\n", "a@@b.co", "a@b.c-d.ef", "a@b~c.de",
		},
		"url": {
			"https://example.com", "http://example.com:8080/x?y#z", "http//example.com", "example.com",
			"mailto:a@b.cd", "file:///etc/passwd", "file:///", "file:/x", "file:", "ftp://x", "http://", "http://#frag",
			"http:#frag", "https://exa mple.com", "https://example.com/a b", "http://[::1]:80/", "http://[::1",
			"http://host:port/", "http://host:80:90/", "HTTP://EXAMPLE.COM", "//example.com", "http://user:pa ss@host/",
			"http://us%zzer@host/", "http://host/%zz", "http://host/#%zz", "http://host/#%41", "javascript:alert(1)", "x:",
			"1http://x", "http://a_b.com", "http://例子.测试", "http://host?x", "urn:isbn:123", "http://host/\t", "a:b",
			"http:/path", "http:///path", "https://host:/", "http://%41.com", "http://%e4%bd%a0.com", "http://h{o}st/",
			"http://host/?q=%zz", "s3://bucket/key", "http://@host", "http://u@h@host", "",
			"http://[::ffff:1.2.3.4]/", "http://[1.2.3.4]/", "http://[fe80::1%25en0]/", "http://[fe80::1%25]/",
			"http://[::1::]/", "http://[1:2:3:4:5:6:7:8]/", "http://[1:2:3:4:5:6:7:8:9]/", "http://a[b]/",
			"http://[::1]x/", "postgres://h1:5432,h2:5433/db", "http://h1:5432,h2:5433/", "http://[::01.2.3.4]/",
		},
		"uuid": {
			"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000",
			"123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400", "{123e4567-e89b-12d3-a456-426614174000}",
			"g23e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000 ", "",
		},
	}
}

// TestNodeFormatsMatchValidator runs each sample through validator/v10 and
// through the generated client's contact validator; they must agree.
func TestNodeFormatsMatchValidator(t *testing.T) {
	node := nodeTool(t)
	dir := writeClientModule(t, "richevents")
	field := map[string]string{"email": "email", "url": "site", "uuid": "ref"}
	type jsCase struct {
		Fn      string          `json:"fn"`
		Payload json.RawMessage `json:"payload"`
	}
	type sample struct{ format, value string }
	var in []jsCase
	var samples []sample
	for format, values := range formatSamples() {
		for _, v := range values {
			payload, err := json.Marshal(map[string]string{field[format]: v})
			if err != nil {
				t.Fatal(err)
			}
			in = append(in, jsCase{Fn: "validateContact", Payload: payload})
			samples = append(samples, sample{format, v})
		}
	}
	var got [][]detail
	runNodeJSON(t, node, dir, in, &got)
	v := validator.New()
	for i, s := range samples {
		goOK := v.Var(s.value, s.format) == nil
		jsOK := len(got[i]) == 0
		if goOK != jsOK {
			t.Errorf("%s %q: validator/v10 valid=%v, JS client valid=%v %v", s.format, s.value, goOK, jsOK, got[i])
		}
	}
}
