package check

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestServesItsClient checks that the generated Server serves the JS client
// generated beside it, readable and minified, byte for byte, at
// /socket.io/richevents.js and /socket.io/richevents.min.js.
func TestServesItsClient(t *testing.T) {
	s := serve(t)
	httpURL := "http" + strings.TrimPrefix(s.url[:strings.Index(s.url, "/socket.io/")], "ws")
	for _, name := range []string{"richevents.js", "richevents.min.js"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile("../richevents/" + name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.Get(httpURL + "/socket.io/" + name)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) || res.Header.Get("ETag") == "" {
				t.Fatalf("GET /socket.io/%s: %d, %d bytes (want %d), ETag %q", name, res.StatusCode, len(got), len(want), res.Header.Get("ETag"))
			}
		})
	}
}
