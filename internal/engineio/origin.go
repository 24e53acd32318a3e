package engineio

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Origins decides which browser origins may open a connection. Browsers
// always send Origin on a WebSocket handshake; without this check any page
// could connect with the user's cookies (cross-site WebSocket hijacking).
type Origins struct {
	any     bool            // "*" was configured
	allowed map[string]bool // normalised "scheme://host[:port]"
}

// ParseOrigins checks and normalises a list of allowed origins:
// "scheme://host[:port]" each, or "*" for every origin.
func ParseOrigins(list []string) (Origins, error) {
	p := Origins{allowed: make(map[string]bool, len(list))}
	for _, o := range list {
		if o == "*" {
			p.any = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return Origins{}, fmt.Errorf("allowed_origins: %q is not scheme://host[:port] or \"*\"", o)
		}
		p.allowed[normalOrigin(u.Scheme, u.Host)] = true
	}
	return p, nil
}

// Allow reports whether r may upgrade (or read a resource, for CORS). A request without Origin comes from a
// non-browser client (Go, Node's socket.io-client), which no web page can
// drive, so it is allowed.
func (p Origins) Allow(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return false // includes "null" (sandboxed frames, file:// pages)
	}
	if p.allowed[normalOrigin(u.Scheme, u.Host)] {
		return true
	}
	// Same origin: the scheme is not compared because behind a TLS
	// terminating proxy the server cannot know the page's scheme.
	return strings.EqualFold(stripDefaultPort(u.Scheme, u.Host), stripDefaultPort(u.Scheme, r.Host))
}

func normalOrigin(scheme, host string) string {
	scheme = strings.ToLower(scheme)
	return scheme + "://" + strings.ToLower(stripDefaultPort(scheme, host))
}

// stripDefaultPort drops ":80" (http, ws) or ":443" (https, wss) so
// "https://example.com" and Host "example.com:443" compare equal.
func stripDefaultPort(scheme, host string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		return host
	}
	switch strings.ToLower(scheme) + ":" + port {
	case "http:80", "ws:80", "https:443", "wss:443":
		if strings.Contains(h, ":") {
			return "[" + h + "]" // IPv6 literal
		}
		return h
	}
	return host
}
