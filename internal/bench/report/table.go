package report

import "strings"

// writeTable writes c's medians, a row per server, the columns c fills.
func writeTable(m *mdWriter, c Case) {
	cols := columns(c)
	m.printf("\n| server |")
	for _, col := range cols {
		m.printf(" %s |", col.head)
	}
	m.printf("\n|:--|%s\n", strings.Repeat("--:|", len(cols)))
	for _, server := range serverOrder([]Case{c}) {
		med, _ := c.median(server)
		name := server
		if server == "eventwire" {
			name = "**eventwire**"
		}
		m.printf("| %s |", name)
		for _, col := range cols {
			m.printf(" %s |", col.cell(med))
		}
		m.printf("\n")
	}
	writeLosses(m, c)
}

// writeLosses says which servers delivered less than they were asked to:
// a server that drops messages would otherwise look fast.
func writeLosses(m *mdWriter, c Case) {
	for _, row := range c.Rows {
		var got, want int64
		for _, rd := range row.Rounds {
			got, want = got+rd.Delivered, want+rd.Expected
		}
		if want > 0 && got < want {
			m.printf("\n%s missed %s of %s expected deliveries (%.3f %%) over its rounds.\n", row.Server,
				count(float64(want-got)), count(float64(want)), 100*float64(want-got)/float64(want))
		}
	}
}

// A column of a case's table: its heading and how a row's medians fill it.
type column struct {
	head string
	cell func(Round) string
}

// columns lists the columns c fills: a figure none of c's servers has is
// left out, and so are the ratios of paced cases, whose deliveries/s the
// load generator sets.
func columns(c Case) []column {
	var cols []column
	add := func(head string, get func(Round) float64, format func(float64) string) {
		if filled(c, get) {
			cols = append(cols, column{head, func(m Round) string { return orDashIfZero(get(m), format) }})
		}
	}
	add("deliveries/s", deliveries, count)
	if filled(c, deliveries) && !c.paced() && c.Scenario != "latency" {
		for _, ref := range ratioRefs(c.Scenario) {
			if rm, ok := c.median(ref); ok && rm.DeliveriesPerSec > 0 {
				cols = append(cols, column{"×" + ref, func(m Round) string {
					return orDashIfZero(m.DeliveriesPerSec/rm.DeliveriesPerSec, times)
				}})
			}
		}
	}
	add("p50 (ms)", func(m Round) float64 { return m.P50 }, millis)
	add("p99 (ms)", func(m Round) float64 { return m.P99 }, millis)
	add("p99.9 (ms)", func(m Round) float64 { return m.P999 }, millis)
	add("CPU ms/1000", func(m Round) float64 { return m.CPUPer1000 }, cpuMillis)
	add("KiB/conn", func(m Round) float64 { return m.RSSPerConn }, kib)
	return cols
}

// ratioRefs names the servers a scenario's deliveries/s are compared with
// (those a case ran): in the cluster, eventwire on one node with the memory
// adapter.
func ratioRefs(scenario string) []string {
	if scenario == "cluster" {
		return []string{"eventwire"}
	}
	return []string{"melody", "melody-write", "socket.io"}
}

func orDashIfZero(v float64, format func(float64) string) string {
	if v <= 0 {
		return "–"
	}
	return format(v)
}

// filled reports whether any server of c has a non-zero get.
func filled(c Case, get func(Round) float64) bool {
	for _, row := range c.Rows {
		if get(row.Median) > 0 {
			return true
		}
	}
	return false
}
