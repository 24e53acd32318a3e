// Package report turns the measurements of the benchmark command
// (cd internal/bench && go run .) into the charts under docs/bench and the
// results part of docs/BENCHMARKS.md.
//
// The command fills a Results, one Case per scenario configuration and one
// Row per server, calls Finish (or Median per row), then
//
//	charts, err := report.WriteCharts("docs/bench", res)
//	err = report.WriteMarkdown(&body, res, charts, "bench")
//	err = report.UpdateDoc("docs/BENCHMARKS.md", body.Bytes())
//
// UpdateDoc keeps the hand-written top of the document, up to the
// Marker line, and replaces what follows.
package report

import (
	"slices"
	"strings"
	"time"
)

// Round is one measured run of one server in one case.
type Round struct {
	DeliveriesPerSec    float64 // fan-out, rooms, cluster
	P50, P99, P999      float64 // milliseconds; latency cases (and fan-out, under load)
	CPUPer1000          float64 // CPU milliseconds (user+sys of the server process(es)) per 1000 deliveries
	RSSPerConn          float64 // bytes per idle connection (idle case)
	Delivered, Expected int64   // sanity: deliveries seen vs expected
}

// Row is one server in one case: its rounds and their medians.
type Row struct {
	Server string // "eventwire", "melody", "melody-write", "ws", "socket.io", "eventwire+redis", "eventwire+nats"
	Rounds []Round
	Median Round // per field median over Rounds (computed by report.Median)
}

// Case is one scenario configuration, e.g. Scenario "fanout", Name "1000 clients · 64 B · all but sender".
type Case struct {
	Scenario string // "fanout" | "latency" | "idle" | "rooms" | "cluster"
	Name     string
	Rows     []Row
}

// Results is everything one run of the benchmark command measured.
type Results struct {
	When    time.Time
	Machine string // e.g. "2 cores (model name from /proc/cpuinfo), Linux x.y, Go 1.26.8, Node v20.x"
	Command string // the exact command line used
	Rounds  int
	Cases   []Case
	Notes   []string // free text lines the lead adds (profiling findings etc.)
}

// HeadlineCase names the fan-out case that headline.png shows (and the
// README embeds). Names are compared without thousands separators, so
// "1,000 clients · 64 B · all but sender" matches too.
const HeadlineCase = "1000 clients · 64 B · all but sender"

// Median is the field-wise median of rounds: the middle value of an odd
// count, the mean of the two middle values of an even count. A field that
// is zero in every round (one the scenario does not measure) stays zero;
// no rounds give the zero Round.
func Median(rounds []Round) Round {
	if len(rounds) == 0 {
		return Round{}
	}
	return Round{
		DeliveriesPerSec: median(rounds, func(r Round) float64 { return r.DeliveriesPerSec }),
		P50:              median(rounds, func(r Round) float64 { return r.P50 }),
		P99:              median(rounds, func(r Round) float64 { return r.P99 }),
		P999:             median(rounds, func(r Round) float64 { return r.P999 }),
		CPUPer1000:       median(rounds, func(r Round) float64 { return r.CPUPer1000 }),
		RSSPerConn:       median(rounds, func(r Round) float64 { return r.RSSPerConn }),
		Delivered:        median(rounds, func(r Round) int64 { return r.Delivered }),
		Expected:         median(rounds, func(r Round) int64 { return r.Expected }),
	}
}

func median[T int64 | float64](rounds []Round, field func(Round) T) T {
	vs := make([]T, len(rounds))
	for i, r := range rounds {
		vs[i] = field(r)
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	lo, hi := vs[n/2-1], vs[n/2]
	return lo + (hi-lo)/2 // no overflow, unlike (lo+hi)/2
}

// Finish fills every Row.Median from its Rounds.
func (r *Results) Finish() {
	for i := range r.Cases {
		for j := range r.Cases[i].Rows {
			row := &r.Cases[i].Rows[j]
			row.Median = Median(row.Rounds)
		}
	}
}

// median returns the medians of server's row in c.
func (c Case) median(server string) (Round, bool) {
	for _, row := range c.Rows {
		if row.Server == server {
			return row.Median, true
		}
	}
	return Round{}, false
}

// isHeadline reports whether c is the case headline.png shows.
func (c Case) isHeadline() bool {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ReplaceAll(s, ",", "")), " ") }
	return c.Scenario == "fanout" && norm(c.Name) == norm(HeadlineCase)
}

// paced reports whether c sends at a fixed rate, so that its deliveries
// per second are set by the load generator, not measured; the command
// names such cases "… msg/s paced".
func (c Case) paced() bool { return strings.Contains(c.Name, "paced") }

// knownServers is the order servers appear in, in every chart and table.
func knownServers() []string {
	return []string{"eventwire", "eventwire+redis", "eventwire+nats", "melody", "melody-write", "ws", "socket.io"}
}

// serverOrder lists the servers of cases, eventwire first: the known ones
// in knownServers order, then others in the order they first appear.
func serverOrder(cases []Case) []string {
	seen := map[string]bool{}
	var unknown []string
	for _, c := range cases {
		for _, row := range c.Rows {
			if !seen[row.Server] && !slices.Contains(knownServers(), row.Server) {
				unknown = append(unknown, row.Server)
			}
			seen[row.Server] = true
		}
	}
	out := slices.DeleteFunc(knownServers(), func(s string) bool { return !seen[s] })
	return append(out, unknown...)
}

// scenarioOrder lists the scenarios of r in the order they first appear.
func scenarioOrder(r Results) []string {
	var out []string
	for _, c := range r.Cases {
		if !slices.Contains(out, c.Scenario) {
			out = append(out, c.Scenario)
		}
	}
	return out
}

// casesOf returns r's cases of scenario, in order.
func casesOf(r Results, scenario string) []Case {
	var out []Case
	for _, c := range r.Cases {
		if c.Scenario == scenario {
			out = append(out, c)
		}
	}
	return out
}
