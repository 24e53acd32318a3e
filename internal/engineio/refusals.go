package engineio

import "sync/atomic"

// The reasons a handshake is refused, as Stats.RefusedBy names them: why a handshake got an
// error instead of a WebSocket. Each is a fixed word, so a metric labelled
// with one stays bounded.
const (
	RefusedMethod     = "method"      // not a GET
	RefusedHTTP2      = "http2"       // HTTP/2 extended CONNECT (RFC 8441)
	RefusedVersion    = "version"     // EIO is not 4
	RefusedTransport  = "transport"   // not transport=websocket (long-polling)
	RefusedSession    = "session"     // an upgrade of a polling session
	RefusedOrigin     = "origin"      // the Origin is not allowed
	RefusedBadRequest = "bad_request" // not a WebSocket handshake
	RefusedAdmit      = "admit"       // refused by Config.Admit (BeforeUpgrade)
	RefusedLimit      = "limit"       // the connection limits
	RefusedShutdown   = "shutdown"    // the server is shutting down
	RefusedHijack     = "hijack"      // the ResponseWriter cannot be hijacked
)

// RefusalReasons lists every reason, in a fixed order.
func RefusalReasons() []string {
	return []string{RefusedMethod, RefusedHTTP2, RefusedVersion, RefusedTransport, RefusedSession, RefusedOrigin,
		RefusedBadRequest, RefusedAdmit, RefusedLimit, RefusedShutdown, RefusedHijack}
}

// refusals counts refused handshakes by reason.
type refusals struct {
	n [11]atomic.Uint64 // in RefusalReasons' order
}

func (r *refusals) add(reason string) {
	for i, name := range RefusalReasons() {
		if name == reason {
			r.n[i].Add(1)
			return
		}
	}
}

func (r *refusals) snapshot() map[string]uint64 {
	out := make(map[string]uint64, len(r.n))
	for i, name := range RefusalReasons() {
		out[name] = r.n[i].Load()
	}
	return out
}
