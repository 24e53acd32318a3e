package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name   string
		rounds []Round
		want   Round
	}{
		{"none", nil, Round{}},
		{"one", []Round{{DeliveriesPerSec: 7, Delivered: 3}}, Round{DeliveriesPerSec: 7, Delivered: 3}},
		{"odd count takes the middle", []Round{
			{DeliveriesPerSec: 300, P99: 9, Expected: 10},
			{DeliveriesPerSec: 100, P99: 1, Expected: 30},
			{DeliveriesPerSec: 200, P99: 5, Expected: 20},
		}, Round{DeliveriesPerSec: 200, P99: 5, Expected: 20}},
		{"even count averages the middle two", []Round{
			{P50: 4, CPUPer1000: 1, Delivered: 9},
			{P50: 1, CPUPer1000: 2, Delivered: 1},
			{P50: 2, CPUPer1000: 8, Delivered: 4},
			{P50: 3, CPUPer1000: 3, Delivered: 7},
		}, Round{P50: 2.5, CPUPer1000: 2.5, Delivered: 5}},
		{"zero fields stay zero", []Round{{RSSPerConn: 4096}, {RSSPerConn: 2048}, {RSSPerConn: 8192}},
			Round{RSSPerConn: 4096}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Median(tt.rounds); got != tt.want {
				t.Errorf("Median = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFinish(t *testing.T) {
	r := Results{Cases: []Case{{Rows: []Row{
		{Server: "a", Rounds: []Round{{P99: 1}, {P99: 3}, {P99: 2}}},
		{Server: "b", Rounds: []Round{{P99: 5}}},
	}}}}
	r.Finish()
	if got := []float64{r.Cases[0].Rows[0].Median.P99, r.Cases[0].Rows[1].Median.P99}; !slices.Equal(got, []float64{2, 5}) {
		t.Errorf("medians after Finish = %v, want [2 5]", got)
	}
}

func TestIsHeadline(t *testing.T) {
	tests := []struct {
		scenario, name string
		want           bool
	}{
		{"fanout", HeadlineCase, true},
		{"fanout", "1,000 clients · 64 B · all but sender", true},
		{"fanout", "1,000 clients · 64 B · all", false},
		{"latency", "1,000 clients · 64 B · all but sender", false},
	}
	for _, tt := range tests {
		if got := (Case{Scenario: tt.scenario, Name: tt.name}).isHeadline(); got != tt.want {
			t.Errorf("isHeadline(%s, %q) = %v, want %v", tt.scenario, tt.name, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{count(0), "0"},
		{count(999.4), "999"},
		{count(1234567.8), "1,234,568"},
		{count(-1000), "-1,000"},
		{millis(2.25), "2.2"},
		{millis(0.04), "0.0"},
		{cpuMillis(0.456), "0.46"},
		{cpuMillis(12.34), "12.3"},
		{kib(12 * 1024), "12.0"},
		{times(0.9731), "0.97×"},
		{compact(250000), "250k"},
		{compact(1500000), "1.5M"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestColumns(t *testing.T) {
	tests := []struct {
		name string
		c    Case
		want []string // "head=eventwire's cell"
	}{
		{"fan-out against melody and socket.io", fake("fanout", "x", tput(900, 1000, 500)),
			[]string{"deliveries/s=900", "×melody=0.90×", "×socket.io=1.80×",
				"p50 (ms)=1.0", "p99 (ms)=2.0", "p99.9 (ms)=5.0", "CPU ms/1000=0.50"}},
		{"a missing reference has no column", Case{Scenario: "fanout", Rows: []Row{
			row("eventwire", Round{DeliveriesPerSec: 1234567}), row("ws", Round{DeliveriesPerSec: 1})}},
			[]string{"deliveries/s=1,234,567"}},
		{"cluster against single-node eventwire", Case{Scenario: "cluster", Rows: []Row{
			row("eventwire", Round{DeliveriesPerSec: 1000}), row("eventwire+nats", Round{DeliveriesPerSec: 750})}},
			[]string{"deliveries/s=1,000", "×eventwire=1.00×"}},
		{"paced cases have no ratios", Case{Scenario: "latency", Name: "20 msg/s paced", Rows: []Row{
			row("eventwire", Round{DeliveriesPerSec: 20000, P50: 0.44, P99: 1.25, P999: 3}),
			row("melody", Round{DeliveriesPerSec: 20000, P50: 0.4, P99: 1.2, P999: 2})}},
			[]string{"deliveries/s=20,000", "p50 (ms)=0.4", "p99 (ms)=1.2", "p99.9 (ms)=3.0"}},
		{"idle shows memory only", fake("idle", "10,000 idle clients", mem(12*1024, 8*1024, 20*1024)),
			[]string{"KiB/conn=12.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ew, _ := tt.c.median("eventwire")
			var got []string
			for _, col := range columns(tt.c) {
				got = append(got, col.head+"="+col.cell(ew))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("columns = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	tests := []struct {
		name string
		c    Case
		want []string // "yes|no" and the start of the goal
	}{
		{"fan-out met", fake("fanout", "f", tput(960, 1000, 600)),
			[]string{"yes fan-out ≥ 0.95× melody", "yes fan-out ≥ 1.50× socket.io"}},
		{"fan-out not met", fake("fanout", "f", tput(940, 1000, 700)),
			[]string{"no fan-out ≥ 0.95× melody", "no fan-out ≥ 1.50× socket.io"}},
		{"fan-out not measured", fake("fanout", "f", tput(0, 1000, 700)),
			[]string{"no fan-out ≥ 0.95× melody", "no fan-out ≥ 1.50× socket.io"}},
		{"paced p99 met", fake("latency", "p", lat(1.1, 1.0)), []string{"yes paced p99 ≤ 1.10× melody"}},
		{"paced p99 not met", fake("latency", "p", lat(1.2, 1.0)), []string{"no paced p99 ≤ 1.10× melody"}},
		{"idle met at the limit", fake("idle", "i", mem(16*1024, 1, 1)), []string{"yes idle ≤ 16 KiB"}},
		{"idle not met", fake("idle", "i", mem(16*1024+1, 1, 1)), []string{"no idle ≤ 16 KiB"}},
		{"no eventwire, no target", Case{Scenario: "fanout", Rows: []Row{row("melody", Round{DeliveriesPerSec: 1})}}, nil},
		{"no melody, only socket.io", Case{Scenario: "fanout", Rows: []Row{
			row("eventwire", Round{DeliveriesPerSec: 3}), row("socket.io", Round{DeliveriesPerSec: 2})}},
			[]string{"yes fan-out ≥ 1.50× socket.io"}},
		{"rooms have no target", fake("rooms", "r", tput(1, 1000, 1000)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Targets(Results{Cases: []Case{tt.c}})
			if len(got) != len(tt.want) {
				t.Fatalf("targets = %+v, want %q", got, tt.want)
			}
			for i, tg := range got {
				if s := map[bool]string{true: "yes", false: "no"}[tg.Met] + " " + tg.Goal; !strings.HasPrefix(s, tt.want[i]) {
					t.Errorf("target %d = %q, want %q…", i, s, tt.want[i])
				}
			}
		})
	}
}

func TestUpdateDoc(t *testing.T) {
	tests := []struct {
		name, old, want string
		absent          bool
	}{
		{"replaces what follows the marker", "# Benchmarks\n\nHow to run.\n" + Marker + "\nold results\nmore\n",
			"# Benchmarks\n\nHow to run.\n" + Marker + "\n\nnew\n", false},
		{"marker as the last line, no newline", "top\n" + Marker, "top\n" + Marker + "\n\nnew\n", false},
		{"marker mentioned inline is not the marker", "see `" + Marker + "`\n" + Marker + "\nold\n",
			"see `" + Marker + "`\n" + Marker + "\n\nnew\n", false},
		{"no marker: the text stays, the marker is appended", "hand written", "hand written\n\n" + Marker + "\n\nnew\n", false},
		{"absent file", "", Marker + "\n\nnew\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
			if !tt.absent {
				if err := os.WriteFile(path, []byte(tt.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for range 2 { // a second run gives the same file
				if err := UpdateDoc(path, []byte("new")); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want {
					t.Errorf("file =\n%q\nwant\n%q", got, tt.want)
				}
			}
		})
	}
}

func TestWriteCharts(t *testing.T) {
	tests := []struct {
		name string
		r    Results
		want []string
	}{
		{"every scenario", sample(), []string{"fanout.png", "fanout-cpu.png", "latency.png", "idle.png",
			"rooms.png", "cluster.png", "cluster-p99.png", "headline.png"}},
		{"a subset", Results{Rounds: 1, Cases: []Case{fake("idle", "100 idle clients", mem(9000, 8000, 30000))}},
			[]string{"idle.png"}},
		{"nothing measured", Results{Cases: []Case{fake("rooms", "r", tput(0, 0, 0))}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			charts, err := WriteCharts(dir, tt.r)
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, ch := range charts {
				files = append(files, ch.File)
				checkPNG(t, filepath.Join(dir, ch.File))
			}
			if !slices.Equal(files, tt.want) {
				t.Errorf("charts = %q, want %q", files, tt.want)
			}
		})
	}
}

func TestWriteMarkdown(t *testing.T) {
	r := sample()
	charts, err := WriteCharts(t.TempDir(), r)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, charts, "bench"); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"`cd internal/bench && go run . -rounds 3`, run on 2026-05-04 09:30 UTC",
		"- Machine: 2 cores (Fake CPU)",
		"![Fan-out: deliveries per second, higher is better](bench/fanout.png)",
		"](bench/headline.png)",
		"| **eventwire** | 96,000 | 0.96× | 2.40× | 1.0 | 2.0 | 5.0 | 0.50 |",
		"| **eventwire** | 12.0 |",
		"| paced p99 ≤ 1.10× melody: 1,000 clients · 64 B · all but sender · 20 msg/s paced | 1.10× (2.2 vs 2.0 ms) | yes |",
		"ws missed 30 of 3,000 expected deliveries (1.000 %) over its rounds.",
		"### Notes\n\n- eventwire spends 30 % of its CPU in JSON encoding.\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 450 {
		t.Errorf("%s is %dx%d, want 800x450", path, b.Dx(), b.Dy())
	}
}

// sample is a run of every scenario, shaped like the command's.
func sample() Results {
	r := Results{
		When:    time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC),
		Machine: "2 cores (Fake CPU), Linux 6.8.0, go1.26.8, Node v20.19.0",
		Command: "cd internal/bench && go run . -rounds 3",
		Rounds:  3,
		Notes:   []string{"eventwire spends 30 % of its CPU in JSON encoding."},
	}
	for _, n := range []string{"1,000", "5,000"} {
		for _, size := range []string{"64 B", "1 KiB"} {
			for _, to := range []string{"all but sender", "all"} {
				r.Cases = append(r.Cases, fake("fanout", n+" clients · "+size+" · "+to, tput(96000, 100000, 40000)))
			}
		}
	}
	lossy := fake("latency", "1,000 clients · 64 B · all but sender · 20 msg/s paced", lat(2.2, 2.0))
	ws := lossy.Rows[1].Median // "ws" missed 1 % in each of 3 rounds
	ws.Delivered, ws.Expected = 990, 1000
	lossy.Rows[1].Rounds = []Round{ws, ws, ws}
	r.Cases = append(r.Cases, lossy,
		fake("idle", "10,000 idle clients", mem(12*1024, 9*1024, 40*1024)),
		fake("rooms", "100 rooms × 50 members · 64 B · one room per emit", tput(50000, 52000, 20000)),
		Case{Scenario: "cluster", Name: "1,000 clients on 2 nodes · 64 B · all but sender", Rows: []Row{
			row("eventwire", Round{DeliveriesPerSec: 90000, P99: 9}),
			row("eventwire+redis", Round{DeliveriesPerSec: 60000, P99: 14}),
			row("eventwire+nats", Round{DeliveriesPerSec: 70000, P99: 12})}},
		Case{Scenario: "cluster", Name: "1,000 clients on 2 nodes · 64 B · all but sender · 20 msg/s paced", Rows: []Row{
			row("eventwire", Round{DeliveriesPerSec: 20000, P99: 1.5}),
			row("eventwire+redis", Round{DeliveriesPerSec: 20000, P99: 2.5}),
			row("eventwire+nats", Round{DeliveriesPerSec: 20000, P99: 2.1})}},
	)
	r.Finish()
	return r
}

// fake is a case of the four single-node servers, each one's figure made by
// fill from its factor: eventwire 0, melody 1, socket.io 2 (ws is melody's 1.1×).
func fake(scenario, name string, fill func(server string) Round) Case {
	c := Case{Scenario: scenario, Name: name}
	for _, s := range []string{"socket.io", "ws", "melody", "eventwire"} { // out of order on purpose
		c.Rows = append(c.Rows, row(s, fill(s)))
	}
	return c
}

func row(server string, m Round) Row {
	return Row{Server: server, Rounds: []Round{m}, Median: m}
}

// tput fills deliveries/s for eventwire, melody and socket.io (ws: melody's 1.1×).
func tput(ew, melody, sio float64) func(string) Round {
	return pick3(ew, melody, sio, func(v float64) Round {
		return Round{DeliveriesPerSec: v, P50: 1, P99: 2, P999: 5, CPUPer1000: 0.5}
	})
}

// lat fills p99 for eventwire and melody; ws and socket.io get melody's.
func lat(ew, melody float64) func(string) Round {
	return pick3(ew, melody, melody, func(v float64) Round {
		return Round{DeliveriesPerSec: 20000, P50: v / 2, P99: v, P999: v * 2}
	})
}

// mem fills bytes per idle connection.
func mem(ew, melody, sio float64) func(string) Round {
	return pick3(ew, melody, sio, func(v float64) Round { return Round{RSSPerConn: v} })
}

func pick3(ew, melody, sio float64, mk func(float64) Round) func(string) Round {
	return func(s string) Round {
		switch s {
		case "eventwire":
			return mk(ew)
		case "melody":
			return mk(melody)
		case "ws":
			return mk(melody * 1.1)
		}
		return mk(sio)
	}
}
