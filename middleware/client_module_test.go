package middleware

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// clientSource is big and repetitive enough for gzip to pay.
var clientSource = []byte(strings.Repeat("export const x = 1; // the client\n", 50))

func clientServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	schema := testSchema()
	schema.Client = &ClientModule{Name: "testevents.js", Source: clientSource}
	srv, err := New(schema, WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func TestServeClient(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedOrigins = []string{"https://app.example"}
	srv := clientServer(t, cfg)
	get := func(method string, header http.Header) *http.Response {
		req := httptest.NewRequest(method, "http://chat.example/socket.io/testevents.js", nil)
		req.Header = header
		rec := httptest.NewRecorder()
		srv.Middleware(nil).ServeHTTP(rec, req)
		return rec.Result()
	}
	plain := get(http.MethodGet, http.Header{})
	etag := plain.Header.Get("ETag")
	body, _ := io.ReadAll(plain.Body)
	if plain.StatusCode != http.StatusOK || !bytes.Equal(body, clientSource) {
		t.Fatalf("GET: %d, %d bytes", plain.StatusCode, len(body))
	}
	for key, want := range map[string]string{
		"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache",
		"X-Content-Type-Options": "nosniff", "Content-Encoding": "",
	} {
		if got := plain.Header.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag %q is not a strong validator", etag)
	}

	tests := []struct {
		name     string
		method   string
		header   http.Header
		status   int
		encoding string
		acao     string
	}{
		{"HEAD", http.MethodHead, http.Header{}, http.StatusOK, "", ""},
		{"revalidation", http.MethodGet, http.Header{"If-None-Match": {etag}}, http.StatusNotModified, "", ""},
		{"stale validator", http.MethodGet, http.Header{"If-None-Match": {`"old"`}}, http.StatusOK, "", ""},
		{"gzip", http.MethodGet, http.Header{"Accept-Encoding": {"br, gzip"}}, http.StatusOK, "gzip", ""},
		{"gzip refused with q=0", http.MethodGet, http.Header{"Accept-Encoding": {"gzip;q=0"}}, http.StatusOK, "", ""},
		{"allowed origin gets CORS", http.MethodGet, http.Header{"Origin": {"https://app.example"}}, http.StatusOK, "", "https://app.example"},
		{"same origin needs none", http.MethodGet, http.Header{"Origin": {"http://chat.example"}}, http.StatusOK, "", "http://chat.example"},
		{"other origin gets none", http.MethodGet, http.Header{"Origin": {"https://evil.example"}}, http.StatusOK, "", ""},
		{"POST", http.MethodPost, http.Header{}, http.StatusMethodNotAllowed, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := get(tc.method, tc.header)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if got := res.Header.Get("Content-Encoding"); got != tc.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tc.encoding)
			}
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.acao {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.acao)
			}
			if tc.status != http.StatusOK || tc.method != http.MethodGet {
				return
			}
			var r io.Reader = res.Body
			if tc.encoding == "gzip" {
				zr, err := gzip.NewReader(res.Body)
				if err != nil {
					t.Fatal(err)
				}
				r = zr
				if res.Header.Get("ETag") == etag {
					t.Error("the gzip body has the plain body's ETag")
				}
			}
			if got, _ := io.ReadAll(r); !bytes.Equal(got, clientSource) {
				t.Errorf("body differs from the module (%d bytes)", len(got))
			}
		})
	}
}

func TestServeClientOff(t *testing.T) {
	cfg := testConfig()
	cfg.ServeClient = false
	srv := clientServer(t, cfg)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/socket.io/testevents.js", nil))
	if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "export") {
		t.Fatalf("serve_client false still serves the module: %d", rec.Code)
	}
}

func TestClientModuleName(t *testing.T) {
	for _, name := range []string{"", "a/b.js", `a\b.js`, "client.mjs.txt"} {
		schema := testSchema()
		schema.Client = &ClientModule{Name: name, Source: clientSource}
		if _, err := New(schema); err == nil || !strings.HasPrefix(err.Error(), "eventwire: ") {
			t.Errorf("name %q: err %v", name, err)
		}
	}
}
