package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Chart is one PNG that WriteCharts wrote.
type Chart struct {
	Scenario string // the scenario it shows
	Case     string // the case it shows; "" when it shows every case of Scenario
	File     string // base name in the chart directory, e.g. "fanout.png"
	Title    string // one line, fit for the image's alt text
}

// A plan is a chart to write and the figure that draws it.
type plan struct {
	Chart
	fig *figure
}

// A chartSpec is a chart to plan and the bars it shows.
type chartSpec struct {
	Chart
	g grouped
}

// WriteCharts writes the charts of r into dir as 800×450 PNGs and says
// which case each shows: per scenario, its figure per case and server;
// headline.png, the headline fan-out case for the README. A chart whose
// cases are absent, or hold only zeros for its figure, is not written.
func WriteCharts(dir string, r Results) ([]Chart, error) {
	plans, err := planCharts(r)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var out []Chart
	for _, p := range plans {
		if err := p.fig.save(filepath.Join(dir, p.File)); err != nil {
			return out, fmt.Errorf("report: chart %s: %w", p.File, err)
		}
		out = append(out, p.Chart)
	}
	return out, nil
}

// planCharts lists the charts r has the figures for, in the order the
// report shows them.
func planCharts(r Results) ([]plan, error) {
	pal := newPalette(serverOrder(r.Cases))
	var out []plan
	for _, s := range chartSpecs(r) {
		if s.g.empty() {
			continue
		}
		s.g.title = titleLines(s.Title)
		fig, err := s.g.figure(pal)
		if err != nil {
			return nil, fmt.Errorf("report: chart %s: %w", s.File, err)
		}
		out = append(out, plan{s.Chart, fig})
	}
	return appendHeadline(out, r, pal)
}

// chartSpecs lists every chart the report can show; those whose cases r
// lacks come out empty.
func chartSpecs(r Results) []chartSpec {
	fan := casesOf(r, "fanout")
	specs := []chartSpec{
		{Chart{"fanout", "", "fanout.png", "Fan-out: deliveries per second, higher is better"},
			byCase(fan, "deliveries/s", deliveries, count)},
		{Chart{"fanout", "", "fanout-cpu.png", "Fan-out: server CPU ms per 1,000 deliveries, lower is better"},
			byCase(fan, "CPU ms per 1,000 deliveries", cpu, cpuMillis)},
	}
	for i, c := range casesOf(r, "latency") {
		file := "latency.png"
		if i > 0 {
			file = "latency-" + strconv.Itoa(i+1) + ".png"
		}
		specs = append(specs, chartSpec{Chart{"latency", c.Name, file,
			"Latency under paced load (ms), lower is better: " + c.Name}, percentiles(c)})
	}
	idle := byCase(casesOf(r, "idle"), "KiB per idle connection", kibPerConn, millis)
	idle.target, idle.targetLabel = maxIdleBytes/1024, fmt.Sprintf("target ≤ %d KiB", maxIdleBytes/1024)
	cluster := casesOf(r, "cluster")
	clusterTput := byCase(pick(cluster, false), "deliveries/s", deliveries, count)
	clusterP99 := byCase(pick(cluster, true), "p99 (ms)", p99, millis)
	clusterTput.label, clusterP99.label = clusterLabel, clusterLabel
	return append(specs,
		chartSpec{Chart{"idle", "", "idle.png", "Idle connections: KiB of server memory per connection, lower is better"}, idle},
		chartSpec{Chart{"rooms", "", "rooms.png", "Rooms: deliveries per second, higher is better"},
			byCase(casesOf(r, "rooms"), "deliveries/s", deliveries, count)},
		chartSpec{Chart{"cluster", "", "cluster.png", "Cluster: deliveries per second, higher is better"}, clusterTput},
		chartSpec{Chart{"cluster", "", "cluster-p99.png", "Cluster: p99 latency (ms), lower is better"}, clusterP99},
	)
}

// appendHeadline adds headline.png when r has the headline case.
func appendHeadline(out []plan, r Results, pal palette) ([]plan, error) {
	for _, c := range r.Cases {
		g := byCase([]Case{c}, "deliveries/s", deliveries, count)
		if !c.isHeadline() || g.empty() {
			continue
		}
		g.title = "Fan-out: deliveries per second, higher is better"
		g.groups[0] += " · median of " + strconv.Itoa(r.Rounds) + " rounds"
		if r.Rounds == 1 {
			g.groups[0] = c.Name + " · 1 round"
		}
		fig, err := g.figure(pal)
		if err != nil {
			return nil, fmt.Errorf("report: chart headline.png: %w", err)
		}
		return append(out, plan{Chart{c.Scenario, c.Name, "headline.png", g.title + ": " + g.groups[0]}, fig}), nil
	}
	return out, nil
}

// The figures a chart can show, in the unit it shows them.
func deliveries(m Round) float64 { return m.DeliveriesPerSec }
func cpu(m Round) float64        { return m.CPUPer1000 }
func kibPerConn(m Round) float64 { return m.RSSPerConn / 1024 }
func p99(m Round) float64        { return m.P99 }

// byCase shows one figure of cases, written by format: a group of bars
// per case, a bar per server.
func byCase(cases []Case, yLabel string, get func(Round) float64, format func(float64) string) grouped {
	g := grouped{yLabel: yLabel, servers: serverOrder(cases), format: format}
	for _, c := range cases {
		g.groups = append(g.groups, c.Name)
	}
	g.value = func(group int, server string) float64 {
		m, _ := cases[group].median(server)
		return get(m)
	}
	return g
}

// percentiles shows c's latency: a group of bars per percentile.
func percentiles(c Case) grouped {
	gets := []func(Round) float64{
		func(m Round) float64 { return m.P50 }, p99, func(m Round) float64 { return m.P999 },
	}
	return grouped{
		yLabel:  "ms",
		format:  millis,
		groups:  []string{"p50", "p99", "p99.9"},
		servers: serverOrder([]Case{c}),
		value: func(group int, server string) float64 {
			m, _ := c.median(server)
			return gets[group](m)
		},
	}
}

// pick returns the paced cases of cases, or the unpaced ones; all of them
// when none is: a paced case's deliveries/s are set by the load generator,
// an unpaced one's latency is mostly queueing.
func pick(cases []Case, paced bool) []Case {
	var out []Case
	for _, c := range cases {
		if c.paced() == paced {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return cases
	}
	return out
}

func clusterLabel(server string) string {
	if server == "eventwire" {
		return "eventwire (1 node)"
	}
	return server
}

// titleLines breaks a one-line title "what: detail" after the colon when
// it is too long for one line of the chart.
func titleLines(title string) string {
	const maxLine = 72 // characters that fit across 800 px at the title's size
	if utf8.RuneCountInString(title) <= maxLine {
		return title
	}
	if head, tail, ok := strings.Cut(title, ": "); ok {
		return head + "\n" + tail
	}
	return title
}
