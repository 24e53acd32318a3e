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

// clientSource and clientMinified are big and repetitive enough for gzip to pay.
var (
	clientSource   = []byte(strings.Repeat("export const x = 1; // the client\n", 50))
	clientMinified = []byte(strings.Repeat("export const x=1;", 50))
)

func clientServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	schema := testSchema()
	schema.Client = &ClientModule{Name: "testevents.js", Source: clientSource, Minified: clientMinified}
	srv, err := New(schema, WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// TestServeClient checks both files of the module, readable and minified:
// each is served with the same headers, validators, encodings and CORS.
func TestServeClient(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedOrigins = []string{"https://app.example"}
	srv := clientServer(t, cfg)
	etags := map[string]bool{}
	for _, file := range []struct {
		name, path string
		want       []byte
	}{
		{"readable", "/socket.io/testevents.js", clientSource},
		{"minified", "/socket.io/testevents.min.js", clientMinified},
	} {
		t.Run(file.name, func(t *testing.T) {
			etag := checkServedFile(t, srv, file.path, file.want)
			if etags[etag] {
				t.Errorf("ETag %s is another file's", etag)
			}
			etags[etag] = true
		})
	}
}

// getClient sends srv a request for path on http://chat.example.
func getClient(srv *Server, method, path string, header http.Header) *http.Response {
	req := httptest.NewRequest(method, "http://chat.example"+path, nil)
	req.Header = header
	rec := httptest.NewRecorder()
	srv.Middleware(nil).ServeHTTP(rec, req)
	return rec.Result()
}

// checkServedFile checks a plain GET of the module file at path, whose body
// is want, then the requests of checkClientRequests, and returns its ETag.
func checkServedFile(t *testing.T, srv *Server, path string, want []byte) string {
	t.Helper()
	plain := getClient(srv, http.MethodGet, path, http.Header{})
	etag := plain.Header.Get("ETag")
	body, _ := io.ReadAll(plain.Body)
	if plain.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
		t.Fatalf("GET: %d, %d bytes", plain.StatusCode, len(body))
	}
	for key, value := range map[string]string{
		"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache",
		"X-Content-Type-Options": "nosniff", "Content-Encoding": "",
	} {
		if got := plain.Header.Get(key); got != value {
			t.Errorf("%s = %q, want %q", key, got, value)
		}
	}
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag %q is not a strong validator", etag)
	}
	checkClientRequests(t, srv, path, want, etag)
	return etag
}

// checkClientRequests checks HEAD, revalidation, gzip, CORS and methods on
// the module file at path, whose body is want and ETag etag.
func checkClientRequests(t *testing.T, srv *Server, path string, want []byte, etag string) {
	t.Helper()
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
			res := getClient(srv, tc.method, path, tc.header)
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
			if got, _ := io.ReadAll(r); !bytes.Equal(got, want) {
				t.Errorf("body differs from the module (%d bytes)", len(got))
			}
		})
	}
}

func TestServeClientOff(t *testing.T) {
	cfg := testConfig()
	cfg.ServeClient = false
	srv := clientServer(t, cfg)
	for _, path := range []string{"/socket.io/testevents.js", "/socket.io/testevents.min.js"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "export") {
			t.Errorf("serve_client false still serves %s: %d", path, rec.Code)
		}
	}
}

// A module without Minified (generated before it existed) serves Source alone.
func TestServeClientWithoutMinified(t *testing.T) {
	schema := testSchema()
	schema.Client = &ClientModule{Name: "testevents.js", Source: clientSource}
	srv, err := New(schema, WithConfig(testConfig()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if res := getClient(srv, http.MethodGet, "/socket.io/testevents.js", http.Header{}); res.StatusCode != http.StatusOK {
		t.Errorf("testevents.js: %d", res.StatusCode)
	}
	res := getClient(srv, http.MethodGet, "/socket.io/testevents.min.js", http.Header{})
	if body, _ := io.ReadAll(res.Body); res.StatusCode == http.StatusOK || strings.Contains(string(body), "export") {
		t.Errorf("testevents.min.js served with no Minified: %d", res.StatusCode)
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
