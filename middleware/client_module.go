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
)

// ClientModule is the generated JavaScript client of a schema, which the
// server serves at Config.Path + Name (e.g. /socket.io/chatevents.js) so a
// page can import it with no build step, as socket.io serves
// /socket.io/socket.io.js. Generated code embeds it; Config.ServeClient
// turns serving off.
type ClientModule struct {
	Name   string // the file name, e.g. "chatevents.js"; no "/"
	Source []byte // the ES module
}

// servedClient is a ClientModule ready to serve: its ETag and, when
// smaller, its gzip encoding, both computed once.
type servedClient struct {
	path     string // Config.Path + Name
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
	sum := sha256.Sum256(m.Source)
	tag := base64.RawURLEncoding.EncodeToString(sum[:12])
	c := &servedClient{path: cfg.Path + m.Name, source: m.Source, etag: `"` + tag + `"`}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(m.Source)                                // a bytes.Buffer does not fail
	if zw.Close() == nil && buf.Len() < len(m.Source) {
		c.gzipped, c.gzipETag = buf.Bytes(), `"`+tag+`-gz"`
	}
	return c, nil
}

// serve answers a request for the client module: GET and HEAD, with a
// strong ETag (If-None-Match gets 304), "Cache-Control: no-cache" (the URL
// is not versioned, so every use revalidates, for a 304 when nothing
// changed), gzip when the client accepts it, and CORS for the origins
// allowed to connect, since a module script from another origin is fetched
// in CORS mode.
func (c *servedClient) serve(w http.ResponseWriter, r *http.Request, origins originPolicy) {
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
	if origin := r.Header.Get("Origin"); origin != "" && origins.allow(r) {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	body, etag := c.source, c.etag
	if c.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = c.gzipped, c.gzipETag
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
