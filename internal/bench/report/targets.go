package report

import "fmt"

// The goals of issue 7, judged on eventwire's medians.
const (
	minFanoutVsMelody   = 0.95      // fan-out deliveries/s, at least this × melody's
	minFanoutVsSocketIO = 1.5       // fan-out deliveries/s, at least this × socket.io's
	maxPacedP99VsMelody = 1.1       // paced p99, at most this × melody's
	maxIdleBytes        = 16 * 1024 // memory per idle connection
)

// A Target is one goal checked against one case.
type Target struct {
	Goal     string // what is asked, e.g. "fan-out ≥ 0.95× melody: 1,000 clients · 64 B · all"
	Measured string // what eventwire did, e.g. "0.97× (97,000 vs 100,000 deliveries/s)"
	Met      bool
}

// Targets checks every goal that r has the cases for: fan-out against
// melody and socket.io per fan-out case, p99 against melody per latency
// (paced) case, and memory per connection per idle case. A goal whose
// case lacks eventwire or the server it is compared with is left out; one
// whose eventwire figure is zero (not measured) is not met.
func Targets(r Results) []Target {
	var out []Target
	for _, c := range r.Cases {
		ew, ok := c.median("eventwire")
		if !ok {
			continue
		}
		switch c.Scenario {
		case "fanout":
			out = appendRatio(out, c, ew, "melody", minFanoutVsMelody)
			out = appendRatio(out, c, ew, "socket.io", minFanoutVsSocketIO)
		case "latency":
			out = appendP99(out, c, ew)
		case "idle":
			out = append(out, Target{
				Goal:     fmt.Sprintf("idle ≤ %d KiB per connection: %s", maxIdleBytes/1024, c.Name),
				Measured: orUnmeasured(ew.RSSPerConn, kib(ew.RSSPerConn)+" KiB"),
				Met:      ew.RSSPerConn > 0 && ew.RSSPerConn <= maxIdleBytes,
			})
		}
	}
	return out
}

// appendRatio adds the goal "eventwire's deliveries/s ≥ atLeast × ref's" for c.
func appendRatio(out []Target, c Case, ew Round, ref string, atLeast float64) []Target {
	m, ok := c.median(ref)
	if !ok || m.DeliveriesPerSec <= 0 {
		return out
	}
	ratio := ew.DeliveriesPerSec / m.DeliveriesPerSec
	return append(out, Target{
		Goal: fmt.Sprintf("fan-out ≥ %s %s: %s", times(atLeast), ref, c.Name),
		Measured: orUnmeasured(ew.DeliveriesPerSec, fmt.Sprintf("%s (%s vs %s deliveries/s)",
			times(ratio), count(ew.DeliveriesPerSec), count(m.DeliveriesPerSec))),
		Met: ew.DeliveriesPerSec > 0 && ew.DeliveriesPerSec >= atLeast*m.DeliveriesPerSec,
	})
}

// appendP99 adds the goal "eventwire's p99 ≤ maxPacedP99VsMelody × melody's" for c.
func appendP99(out []Target, c Case, ew Round) []Target {
	m, ok := c.median("melody")
	if !ok || m.P99 <= 0 {
		return out
	}
	ratio := ew.P99 / m.P99
	return append(out, Target{
		Goal: fmt.Sprintf("paced p99 ≤ %s melody: %s", times(maxPacedP99VsMelody), c.Name),
		Measured: orUnmeasured(ew.P99, fmt.Sprintf("%s (%s vs %s ms)",
			times(ratio), millis(ew.P99), millis(m.P99))),
		Met: ew.P99 > 0 && ew.P99 <= maxPacedP99VsMelody*m.P99,
	})
}

func orUnmeasured(v float64, s string) string {
	if v <= 0 {
		return "not measured"
	}
	return s
}
