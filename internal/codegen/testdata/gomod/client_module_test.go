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
// generated beside it, byte for byte, at /socket.io/richevents.js.
func TestServesItsClient(t *testing.T) {
	s := serve(t)
	want, err := os.ReadFile("../richevents/richevents.js")
	if err != nil {
		t.Fatal(err)
	}
	httpURL := "http" + strings.TrimPrefix(s.url[:strings.Index(s.url, "/socket.io/")], "ws")
	res, err := http.Get(httpURL + "/socket.io/richevents.js")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) || res.Header.Get("ETag") == "" {
		t.Fatalf("GET /socket.io/richevents.js: %d, %d bytes (want %d), ETag %q", res.StatusCode, len(got), len(want), res.Header.Get("ETag"))
	}
}
