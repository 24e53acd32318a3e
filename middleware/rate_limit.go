package middleware

import (
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/eventwire/eventwire/internal/engineio"
	"github.com/eventwire/eventwire/internal/protocol"
)

// Rate is a token bucket: PerSecond events a second on average, Burst at
// once.
type Rate struct {
	PerSecond float64 `mapstructure:"per_second"`
	Burst     int     `mapstructure:"burst"`
}

func (r Rate) limiter() *rate.Limiter { return rate.NewLimiter(rate.Limit(r.PerSecond), r.Burst) }

// minAbuseRun is the fewest refusals in a row that close a connection, so
// a small burst does not turn one eager client into an abuser.
const minAbuseRun = 10

// eventLimiter is one connection's budget of inbound events (CONNECT and
// EVENT packets): a bucket for all of them (Config.RateLimit/RateBurst) and
// one per event Config.RateLimits names. Only the connection's read loop
// uses it, so it needs no lock.
type eventLimiter struct {
	all      *rate.Limiter            // nil: no connection-wide limit
	rates    map[string]Rate          // Config.RateLimits
	perEvent map[string]*rate.Limiter // made on an event's first use; nil until then
	strikes  int                      // refusals in a row
	maxRun   int                      // refusals in a row that close the connection
}

// newEventLimiter returns nil when the config limits nothing.
func newEventLimiter(cfg Config) *eventLimiter {
	if cfg.RateLimit == 0 && len(cfg.RateLimits) == 0 {
		return nil
	}
	l := &eventLimiter{rates: cfg.RateLimits, maxRun: max(cfg.RateBurst, minAbuseRun)}
	if cfg.RateLimit > 0 {
		l.all = Rate{PerSecond: cfg.RateLimit, Burst: cfg.RateBurst}.limiter()
	}
	return l
}

// allow takes a token for event from every bucket it counts against, or
// from none when one of them is empty.
func (l *eventLimiter) allow(event string) bool {
	now := time.Now()
	all := reserve(l.all, now)
	if all != nil && !all.OK() {
		return l.refuse()
	}
	if r, limited := l.rates[event]; limited {
		lim := l.perEvent[event]
		if lim == nil {
			lim = r.limiter()
			if l.perEvent == nil {
				l.perEvent = make(map[string]*rate.Limiter)
			}
			l.perEvent[event] = lim
		}
		if one := reserve(lim, now); !one.OK() {
			if all != nil {
				all.CancelAt(now)
			}
			return l.refuse()
		}
	}
	l.strikes = 0
	return true
}

// reserve takes a token now if one is there: a reservation that would have
// to wait is cancelled and reported as not OK.
func reserve(l *rate.Limiter, now time.Time) *rate.Reservation {
	if l == nil {
		return nil
	}
	r := l.ReserveN(now, 1)
	if r.OK() && r.DelayFrom(now) > 0 {
		r.CancelAt(now)
		return rate.NewLimiter(0, 0).ReserveN(now, 1) // not OK
	}
	return r
}

func (l *eventLimiter) refuse() bool {
	l.strikes++
	return false
}

// abusive reports whether the connection kept sending through a whole
// burst's worth of refusals (at least minAbuseRun).
func (l *eventLimiter) abusive() bool { return l.strikes >= l.maxRun }

// checkRates checks Config.RateLimits against the events clients may send.
func (s *core) checkRates() error {
	for name, r := range s.cfg.RateLimits {
		if r.PerSecond <= 0 || r.Burst < 1 {
			return fmt.Errorf("eventwire: rate_limits[%q]: per_second must be positive and burst at least 1, got %+v", name, r)
		}
		if !s.clientsSend(name) {
			return fmt.Errorf("eventwire: rate_limits[%q]: no namespace has an event of that name that clients send", name)
		}
	}
	return nil
}

func (s *core) clientsSend(event string) bool {
	for _, ns := range s.namespaces {
		if e := ns.events[event]; e != nil && e.ClientSends {
			return true
		}
	}
	return false
}

// rateLimited refuses an event over the connection's budget: the client
// gets code rate_limited (by ack or ErrorEvent); a connection that goes on
// through a whole burst of refusals is closed with 1008.
func (s *Server) rateLimited(c *Conn, p protocol.Packet, name string) {
	s.limitedEvents.Add(1)
	if e := s.events[name]; e != nil {
		s.observeReceived(e.Name)
		s.observeFailed(e.Name, codeRateLimited)
	}
	if e := c.sess; e.Data.limiter.abusive() {
		if e.Close(engineio.ClosePolicyViolation, "rate limit exceeded", reasonRateLimited, nil) {
			s.log.Warn("eventwire: rate limit exceeded, connection closed",
				append(c.logAttrs(), "rate_limit", s.cfg.RateLimit, "rate_burst", s.cfg.RateBurst)...)
		}
		return
	}
	s.log.Debug("eventwire: event over the rate limit", append([]any{"event", name}, c.logAttrs()...)...)
	s.reply(c, p, name, nil, NewError(codeRateLimited, "too many events; slow down"))
}
