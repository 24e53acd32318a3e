package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// Marker is the line of docs/BENCHMARKS.md after which UpdateDoc writes
// the results; everything above it is written by hand.
const Marker = "<!-- results -->"

// mdWriter keeps the first write error, so the writing code reads straight.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// WriteMarkdown writes the results part of docs/BENCHMARKS.md: where the
// figures come from, one section per scenario with its charts (linked
// under chartDir, relative to the document) and a table per case, whether
// the targets are met, and r.Notes.
func WriteMarkdown(w io.Writer, r Results, charts []Chart, chartDir string) error {
	m := &mdWriter{w: w}
	targets := Targets(r)
	writeHeader(m, r, targets)
	for _, s := range scenarioOrder(r) {
		m.printf("\n### %s\n", scenarioTitle(s))
		writeCharts(m, charts, s, "", chartDir)
		for _, c := range casesOf(r, s) {
			m.printf("\n#### %s\n", c.Name)
			writeCharts(m, charts, s, c.Name, chartDir)
			writeTable(m, c)
		}
	}
	writeTargets(m, targets)
	if len(r.Notes) > 0 {
		m.printf("\n### Notes\n\n")
		for _, n := range r.Notes {
			m.printf("- %s\n", n)
		}
	}
	return m.err
}

func writeHeader(m *mdWriter, r Results, targets []Target) {
	command := r.Command
	if command == "" {
		command = "cd internal/bench && go run ."
	}
	when := "at an unknown time"
	if !r.When.IsZero() {
		when = "on " + r.When.UTC().Format("2006-01-02 15:04 MST")
	}
	m.printf("## Results\n\n")
	m.printf("Written by `cd internal/bench && go run .`, which replaces everything below the `%s` marker;\n", Marker)
	m.printf("edit above it. These figures come from `%s`, run %s.\n\n", command, when)
	m.printf("- Machine: %s\n", orDash(r.Machine))
	if r.Rounds == 1 {
		m.printf("- Rounds: 1 per case, so every figure is a single measurement, not a median.\n")
	} else {
		m.printf("- Rounds: %d per case, interleaved: each round starts every server afresh, in a rotated\n", r.Rounds)
		m.printf("  order, so a machine that slows down slows every server alike. Every figure is the\n")
		m.printf("  median of the rounds.\n")
	}
	m.printf("- Ratios (×server) divide deliveries/s by that server's in the same case.\n")
	if len(targets) > 0 {
		m.printf("- [Targets](#targets) met: %d of %d.\n", metCount(targets), len(targets))
	}
}

func scenarioTitle(scenario string) string {
	switch scenario {
	case "fanout":
		return "Fan-out"
	case "latency":
		return "Latency under paced load"
	case "idle":
		return "Idle connections"
	case "rooms":
		return "Rooms"
	case "cluster":
		return "Cluster"
	}
	return scenario
}

// writeCharts embeds the charts of scenario's case caseName ("": those
// that show the whole scenario).
func writeCharts(m *mdWriter, charts []Chart, scenario, caseName, chartDir string) {
	for _, ch := range charts {
		if ch.Scenario == scenario && ch.Case == caseName {
			m.printf("\n![%s](%s)\n", ch.Title, path.Join(chartDir, ch.File))
		}
	}
}

func writeTargets(m *mdWriter, targets []Target) {
	if len(targets) == 0 {
		return
	}
	m.printf("\n### Targets\n\n| target | measured (eventwire) | met |\n|:--|:--|:-:|\n")
	for _, t := range targets {
		met := "no"
		if t.Met {
			met = "yes"
		}
		m.printf("| %s | %s | %s |\n", t.Goal, t.Measured, met)
	}
}

func metCount(targets []Target) int {
	n := 0
	for _, t := range targets {
		if t.Met {
			n++
		}
	}
	return n
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// UpdateDoc rewrites the file at path: it keeps everything up to and
// including the Marker line and puts body after it. A file without the
// marker keeps all its text and gets the marker appended; a missing file
// is created with just the marker and body. An unchanged file is not
// rewritten.
func UpdateDoc(path string, body []byte) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("report: %w", err)
	}
	doc := append(keepHead(old), '\n')
	doc = append(doc, body...)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		doc = append(doc, '\n')
	}
	if bytes.Equal(doc, old) {
		return nil
	}
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// keepHead returns doc up to and including its first Marker line, ending
// in a newline, or all of doc with the marker line appended.
func keepHead(doc []byte) []byte {
	rest := doc
	for len(rest) > 0 {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		if string(bytes.TrimSpace(line)) == Marker {
			end := len(doc) - len(after)
			head := append([]byte(nil), doc[:end]...)
			if !found {
				head = append(head, '\n')
			}
			return head
		}
		rest = after
	}
	head := append([]byte(nil), doc...)
	if len(head) > 0 {
		if head[len(head)-1] != '\n' {
			head = append(head, '\n')
		}
		head = append(head, '\n')
	}
	return append(head, Marker+"\n"...)
}
