package codegen

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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
			// net/mail refuses some of what the expression allows: a double dot,
			// CR LF folding, DEL, a quote that ends the quoted string early.
			"a@b.c..d.ef", "a@b.cd.", "\"a\r\n b\"@example.com", "\"\x7f\"@example.com", `"a"b"@example.com`,
			`"a\"@example.com`, `"a\"b"@example.com`, `""@example.com`, `"a@b"@example.com`, `"é"@example.com`,
			"a@b.1c", "a@1b.c", "a@b-.c", "a@b.c-", "a.\"b\"@c.de",
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
			// Go checks control characters before the fragment only, and the
			// characters of a zone; it lower-cases İ to i.
			"http:#fr\rag", "http://#\rfrag", "ttp://[fe80::1%25`]/", "http://[fe80::1%25a%20b]/",
			"http://[fe80::1%25a%41]/", "http://[fe80::1%25a%c3%a9]/", "http://[fe80::1%25é]/", "İttp://x",
			"http://İ@host/", "http://a\r#b",
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
	type sample struct{ format, value string }
	var in []jsCase
	var samples []sample
	for format, values := range formatSamples() {
		for _, v := range values {
			in = append(in, contactCase(t, field[format], v))
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

// TestNodeFormatsRandom compares validator/v10 and the client on thousands of
// strings built from the characters and pieces that matter to the email and
// url checks. The seed is fixed, so a failure reproduces.
func TestNodeFormatsRandom(t *testing.T) {
	node := nodeTool(t)
	dir := writeClientModule(t, "richevents")
	r := rand.New(rand.NewPCG(5, 6))
	// An email is a dot-atom or quoted local part, @ and a domain, each
	// mostly of the characters they allow, with a few others; a url a
	// scheme-like start and the rest.
	atom := []string{"a", "B", "1", ".", "-", "~", "_", "!", "#", "é", "\ufdd0", "😀", "(", "@", " "}
	quoted := []string{"a", " ", "\t", `\`, `"`, "\r\n", "\r", "\x7f", "\x01", "é", "\ufdd0", "@", ".", "\u0085"}
	domain := []string{"a", "b", "Z", "1", "9", ".", ".", "-", "~", "_", "é", "\ufdd0", "😀", "[", " "}
	tld := []string{"com", "c", "1", "é", "a-", "", "a.", "-a"}
	urlStart := []string{"http://", "https://", "file://", "ttp://", "x:", "//", "/", "", "İ", "http:", "a%41:"}
	urlRest := []string{"/", ":", "?", "#", "@", "[", "]", "%", "%25", "%2", "%41", "%c3", "a", "F", "0", "8", ".",
		"-", "_", "~", "::1", "fe80::1", "1.2.3.4", "\r", "\t", " ", "`", "{", "İ", "é", "\x00", "\x7f", ",", ";", "=",
		"'", "*", "<", "\""}
	pick := func(pieces []string, most int) string {
		var b strings.Builder
		for range 1 + r.IntN(most) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	type sample struct{ format, value string }
	var samples []sample
	var in []jsCase
	for range 20_000 {
		email := pick(atom, 5)
		if r.IntN(3) == 0 {
			email = `"` + pick(quoted, 4) + `"`
		}
		email += "@" + pick(domain, 5) + "." + tld[r.IntN(len(tld))]
		url := urlStart[r.IntN(len(urlStart))] + pick(urlRest, 8)
		samples = append(samples, sample{"email", email}, sample{"url", url})
		in = append(in, contactCase(t, "email", email), contactCase(t, "site", url))
	}
	var got [][]detail
	runNodeJSON(t, node, dir, in, &got)
	v := validator.New()
	failures, valid := 0, map[string]int{}
	for i, s := range samples {
		goOK := v.Var(s.value, s.format) == nil
		if goOK {
			valid[s.format]++
		}
		if jsOK := len(got[i]) == 0; goOK != jsOK && failures < 20 {
			failures++
			t.Errorf("%s %q: validator/v10 valid=%v, JS client valid=%v", s.format, s.value, goOK, jsOK)
		}
	}
	t.Logf("%d samples, valid by validator/v10: %v", len(samples), valid)
}

// TestNodeFormatsLinear runs the client's format checks on 10 KB values
// built to make a backtracking regular expression take exponential time (the
// former e-mail expression needed 59 s for 37 characters). They must all
// return; the deadline is generous so a slow machine does not fail.
func TestNodeFormatsLinear(t *testing.T) {
	node := nodeTool(t)
	dir := writeClientModule(t, "richevents")
	const n = 10_000
	hostile := map[string][]string{
		"email": {`"` + strings.Repeat(" \t", n/2), `"` + strings.Repeat("a", n), strings.Repeat("a", n) + "@",
			"a@" + strings.Repeat("a-", n/2), "a@" + strings.Repeat("a.", n/2) + "-", strings.Repeat("a.", n/2) + "@b",
			`"` + strings.Repeat(`\`, n) + `"@b.cd`, "a@" + strings.Repeat("é", n) + "!"},
		"url": {"http://[" + strings.Repeat(":", n), "x:" + strings.Repeat("%", n), "http://" + strings.Repeat("1:", n/2),
			"http://[" + strings.Repeat("1:", n/2) + "%25" + strings.Repeat("a", n) + "`]/",
			"http://[::" + strings.Repeat("1.", n/2) + "]/", "http://" + strings.Repeat("a@", n/2) + "!"},
	}
	field := map[string]string{"email": "email", "url": "site"}
	var in []jsCase
	for format, values := range hostile {
		for _, v := range values {
			in = append(in, contactCase(t, field[format], v))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	var got [][]detail
	runNodeJSONContext(ctx, t, node, dir, in, &got)
	t.Logf("%d values of %d KB checked in %v", len(in), n/1000, time.Since(start))
}

// contactCase is a call of validateContact with one field set.
func contactCase(t *testing.T, field, value string) jsCase {
	t.Helper()
	payload, err := json.Marshal(map[string]string{field: value})
	if err != nil {
		t.Fatal(err)
	}
	return jsCase{Fn: "validateContact", Payload: payload}
}
