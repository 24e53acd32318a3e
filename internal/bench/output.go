package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/eventwire/eventwire/internal/bench/report"
)

// printCase prints a case's medians with the ratios its scenario is judged by.
func printCase(out io.Writer, c report.Case) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer tw.Flush()
	if c.Scenario == "idle" {
		fmt.Fprintln(tw, "server\tKiB/conn\t")
		for _, r := range c.Rows {
			fmt.Fprintf(tw, "%s\t%.1f\t\n", r.Server, r.Median.RSSPerConn/1024)
		}
		return
	}
	ref := map[string]float64{}
	for _, r := range c.Rows {
		ref[r.Server] = r.Median.DeliveriesPerSec
	}
	fmt.Fprintln(tw, "server\tdeliveries/s\t×melody\t×socket.io\t×eventwire\tp50 ms\tp99 ms\tp99.9 ms\tCPU ms/1000\t")
	for _, r := range c.Rows {
		m := r.Median
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t\n", r.Server, m.DeliveriesPerSec,
			ratio(m.DeliveriesPerSec, ref["melody"]), ratio(m.DeliveriesPerSec, ref["socket.io"]),
			ratio(m.DeliveriesPerSec, ref["eventwire"]), m.P50, m.P99, m.P999, m.CPUPer1000)
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// machine describes where the figures come from.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	node, _ := exec.Command("node", "--version").Output()
	return fmt.Sprintf("%d cores (%s), Linux %s, %s, Node %s", runtime.NumCPU(), model,
		strings.TrimSpace(string(kernel)), runtime.Version(), strings.TrimSpace(string(node)))
}

// write puts the raw results, the charts and the report under dir.
func write(dir string, res report.Results, out io.Writer) error {
	chartDir := filepath.Join(dir, "bench")
	if err := os.MkdirAll(chartDir, 0o755); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(chartDir, "results.json"), append(raw, '\n'), 0o644); err != nil {
		return err
	}
	charts, err := report.WriteCharts(chartDir, res)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := report.WriteMarkdown(&body, res, charts, "bench"); err != nil {
		return err
	}
	doc := filepath.Join(dir, "BENCHMARKS.md")
	if err := report.UpdateDoc(doc, body.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nwrote %s, %s/results.json and %d charts\n", doc, chartDir, len(charts))
	return nil
}
