package middleware

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/eventwire/eventwire/internal/engineio"
)

// ClientModule is the generated JavaScript client of a schema, which the
// server serves at Config.Path + Name (e.g. /socket.io/chatevents.js), and
// minified at the same name ending in .min.js (/socket.io/chatevents.min.js),
// so a page can import it with no build step, as socket.io serves
// /socket.io/socket.io.js and socket.io.min.js. Generated code embeds both;
// Config.ServeClient turns serving off.
type ClientModule struct {
	Name   string // the file name, e.g. "chatevents.js"; no "/"
	Source []byte // the ES module, readable: for reading and debugging
	// Minified is the same module minified, the one pages should import;
	// nil: only Source is served.
	Minified []byte
}

// servedClient is a ClientModule ready to serve: its files by URL path.
type servedClient struct {
	files map[string]*servedFile
}

// servedFile is one file of a ClientModule with its ETag and, when smaller,
// its gzip encoding, both computed once.
type servedFile struct {
	source   []byte
	etag     string
	gzipped  []byte // nil when gzip would not be smaller
	gzipETag string
}

func newServedClient(cfg Config, m *ClientModule) (*servedClient, error) {
	if m == nil || !cfg.ServeClient {
		return nil, nil
	}
	if m.Name == "" || strings.ContainsAny(m.Name, "/\\") || !strings.HasSuffix(m.Name, ".js") {
		return nil, fmt.Errorf("eventwire: client module name %q must be a file name ending in .js", m.Name)
	}
	c := &servedClient{files: map[string]*servedFile{cfg.Path + m.Name: newServedFile(m.Source)}}
	if m.Minified != nil {
		c.files[cfg.Path+strings.TrimSuffix(m.Name, ".js")+".min.js"] = newServedFile(m.Minified)
	}
	return c, nil
}

func newServedFile(source []byte) *servedFile {
	sum := sha256.Sum256(source)
	tag := base64.RawURLEncoding.EncodeToString(sum[:12])
	f := &servedFile{source: source, etag: `"` + tag + `"`}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(source)                                  // a bytes.Buffer does not fail
	if zw.Close() == nil && buf.Len() < len(source) {
		f.gzipped, f.gzipETag = buf.Bytes(), `"`+tag+`-gz"`
	}
	return f
}

// has reports whether path is the URL path of one of the module's files.
func (c *servedClient) has(path string) bool {
	_, ok := c.files[path]
	return ok
}

// serve answers a request for one of the module's files (has(r.URL.Path)):
// GET and HEAD, with a strong ETag (If-None-Match gets 304), "Cache-Control:
// no-cache" (the URL is not versioned, so every use revalidates, for a 304
// when nothing changed), gzip when the client accepts it, and CORS for the
// origins allowed to connect, since a module script from another origin is
// fetched in CORS mode.
func (c *servedClient) serve(w http.ResponseWriter, r *http.Request, origins engineio.Origins) {
	f := c.files[r.URL.Path]
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" && origins.Allow(r) {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	body, etag := f.source, f.etag
	if f.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gzipped, f.gzipETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether Accept-Encoding lists gzip without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, field := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(field, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				q := strings.ReplaceAll(params, " ", "")
				return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
			}
		}
	}
	return false
}
