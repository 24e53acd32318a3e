package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Every chart is 800×450 px: 600×337.5 pt at 96 dpi (vg.Length is in points).
const (
	chartWidth   vg.Length = 600
	chartHeight  vg.Length = 337.5
	chartDPI               = 96
	legendHeight vg.Length = 22
	maxBarWidth  vg.Length = 48
)

// grouped is a bar chart: a group of bars per x label, a bar per server.
// A chart of one group puts the servers along x instead, each bar labelled
// with its value, and the group's name under the title.
type grouped struct {
	title, yLabel string
	groups        []string // x labels; " · " in them breaks the line
	servers       []string // bar order, eventwire first
	value         func(group int, server string) float64
	format        func(float64) string       // a bar's label, in one-group charts
	label         func(server string) string // legend text; nil: the server's name
	target        float64                    // > 0: a dashed horizontal line at this value
	targetLabel   string
}

// shown lists the servers with a figure to show: a server that was not
// run in these cases gets no bar and no legend entry.
func (g grouped) shown() []string {
	var out []string
	for _, s := range g.servers {
		for i := range g.groups {
			if finite(g.value(i, s)) > 0 {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// empty reports whether g has nothing to show.
func (g grouped) empty() bool { return len(g.shown()) == 0 }

func (g grouped) name(server string) string {
	if g.label == nil {
		return server
	}
	return g.label(server)
}

// A figure is a plot whose bar widths wait for the size of its data area.
type figure struct {
	plot   *plot.Plot
	bars   []*plotter.BarChart
	slots  int // bars side by side in a group
	legend []legendItem
}

type legendItem struct {
	label  string
	color  color.Color
	dashed bool
}

func (g grouped) figure(pal palette) (*figure, error) {
	servers := g.shown()
	if len(servers) == 0 {
		return nil, errors.New("no figure to show") // callers skip empty charts
	}
	if len(g.groups) == 1 {
		return g.single(pal, servers)
	}
	p := newPlot(g.title, g.yLabel)
	f := &figure{plot: p, slots: len(servers)}
	for _, s := range servers {
		vals := make(plotter.Values, len(g.groups))
		for i := range g.groups {
			vals[i] = finite(g.value(i, s))
		}
		b, err := newBars(vals, pal[s])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		p.Add(b)
		f.bars = append(f.bars, b)
		f.legend = append(f.legend, legendItem{label: g.name(s), color: pal[s]})
	}
	if err := g.addTarget(f, len(g.groups)); err != nil {
		return nil, err
	}
	labels := make([]string, len(g.groups))
	for i, name := range g.groups {
		labels[i] = strings.ReplaceAll(name, " · ", "\n")
	}
	nominalX(p, labels, 1.08)
	return f, nil
}

// single draws g's one group: a labelled bar per server.
func (g grouped) single(pal palette, servers []string) (*figure, error) {
	p := newPlot(g.title+"\n"+g.groups[0], g.yLabel)
	f := &figure{plot: p, slots: 1}
	var xys plotter.XYs
	var texts, names []string
	for i, s := range servers {
		v := finite(g.value(0, s))
		b, err := newBars(plotter.Values{v}, pal[s])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s, err)
		}
		b.XMin = float64(i)
		p.Add(b)
		f.bars = append(f.bars, b)
		xys = append(xys, plotter.XY{X: float64(i), Y: v})
		texts = append(texts, g.format(v))
		names = append(names, g.name(s))
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font = sans(11)
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YBottom
	}
	labels.Offset = vg.Point{Y: 3}
	p.Add(labels)
	if err := g.addTarget(f, len(servers)); err != nil {
		return nil, err
	}
	nominalX(p, names, 1.15)
	p.X.Tick.Label.Font = sans(11)
	return f, nil
}

// addTarget draws g's target, if any, across the slots of f.
func (g grouped) addTarget(f *figure, slots int) error {
	if g.target <= 0 {
		return nil
	}
	line, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: g.target}, {X: float64(slots) - 0.5, Y: g.target}})
	if err != nil {
		return err
	}
	line.LineStyle = targetStyle()
	f.plot.Add(line)
	f.legend = append(f.legend, legendItem{label: g.targetLabel, color: line.Color, dashed: true})
	return nil
}

func newBars(vals plotter.Values, c color.Color) (*plotter.BarChart, error) {
	b, err := plotter.NewBarChart(vals, 1) // the width is set once the data area is known
	if err != nil {
		return nil, err
	}
	b.Color = c
	b.LineStyle.Width = 0
	return b, nil
}

// newPlot is a white plot with a title, horizontal grid lines and y ticks
// that read 250k rather than 250000.
func newPlot(title, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(13)
	p.Title.Padding = 10
	p.Y.Label.Text = yLabel
	p.Y.Label.TextStyle.Font = sans(11)
	p.Y.Tick.Label.Font = sans(10)
	p.Y.Tick.Marker = plot.TickerFunc(compactTicks)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = color.Gray{Y: 215}
	p.Add(grid)
	return p
}

// nominalX names the groups along x, centres each in a unit-wide slot and
// leaves headroom above the tallest bar.
func nominalX(p *plot.Plot, labels []string, headroom float64) {
	p.NominalX(labels...)
	p.Y.Padding = 0
	size := vg.Length(10)
	if len(labels) > 4 {
		size = 8.5
	}
	p.X.Tick.Label.Font = sans(size)
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	p.Y.Min = 0
	p.Y.Max = max(p.Y.Max*headroom, 1e-9)
}

func compactTicks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" && math.Abs(ticks[i].Value) >= 1000 {
			ticks[i].Label = compact(ticks[i].Value)
		}
	}
	return ticks
}

// sans is the font of every text: Liberation Sans reads better than
// gonum's default serif at this size.
func sans(size vg.Length) font.Font {
	f := plot.DefaultFont
	f.Variant = "Sans"
	f.Size = size
	return f
}

func targetStyle() draw.LineStyle {
	return draw.LineStyle{
		Color:  color.RGBA{R: 0x11, G: 0x18, B: 0x27, A: 0xff},
		Width:  vg.Points(1.5),
		Dashes: []vg.Length{vg.Points(6), vg.Points(4)},
	}
}

// finite maps NaN and ±Inf, which gonum refuses, to 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// save draws f into an 800×450 PNG at file, the legend in a row under the plot.
func (f *figure) save(file string) (err error) {
	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	pc := dc
	if len(f.legend) > 0 {
		pc = draw.Crop(dc, 0, 0, legendHeight, 0)
	}
	f.sizeBars(pc)
	f.plot.Draw(pc)
	f.drawLegend(dc)
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(out)
	return err
}

// sizeBars fills 80 % of each group's slot with its bars, side by side.
func (f *figure) sizeBars(c draw.Canvas) {
	da := f.plot.DataCanvas(c)
	unit := (da.Max.X - da.Min.X) / vg.Length(f.plot.X.Max-f.plot.X.Min)
	w := min(unit*0.8/vg.Length(f.slots), maxBarWidth)
	for i, b := range f.bars {
		b.Width = w
		if f.slots > 1 {
			b.Offset = vg.Length(float64(i)-float64(f.slots-1)/2) * w
		}
	}
}

// drawLegend draws f's legend centred along the bottom of c.
func (f *figure) drawLegend(c draw.Canvas) {
	if len(f.legend) == 0 {
		return
	}
	sty := f.plot.Legend.TextStyle
	sty.Font = sans(10)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	const swatch, gap, spacing = vg.Length(10), vg.Length(4), vg.Length(16)
	total := -spacing
	for _, it := range f.legend {
		total += swatch + gap + sty.Width(it.label) + spacing
	}
	x := c.Center().X - total/2
	y := c.Min.Y + legendHeight/2
	for _, it := range f.legend {
		if it.dashed {
			c.StrokeLine2(targetStyle(), x-4, y, x+swatch+2, y)
		} else {
			c.FillPolygon(it.color, []vg.Point{{X: x, Y: y - swatch/2}, {X: x + swatch, Y: y - swatch/2},
				{X: x + swatch, Y: y + swatch/2}, {X: x, Y: y + swatch/2}})
		}
		x += swatch + gap
		c.FillText(sty, vg.Point{X: x, Y: y}, it.label)
		x += sty.Width(it.label) + spacing
	}
}

// palette gives every server one colour in every chart.
type palette map[string]color.Color

// newPalette colours the known servers alike in every run (eventwire
// blue, its cluster variants near it) and the others from a spare list.
func newPalette(servers []string) palette {
	known := map[string]color.RGBA{
		"eventwire":       {0x25, 0x63, 0xeb, 0xff},
		"eventwire+redis": {0x8b, 0x5c, 0xf6, 0xff},
		"eventwire+nats":  {0x06, 0xb6, 0xd4, 0xff},
		"melody":          {0xf5, 0x9e, 0x0b, 0xff},
		"melody-write":    {0xfc, 0xd3, 0x4d, 0xff},
		"ws":              {0x10, 0xb9, 0x81, 0xff},
		"socket.io":       {0x4b, 0x55, 0x63, 0xff},
	}
	spare := []color.RGBA{{0xec, 0x48, 0x99, 0xff}, {0x84, 0xcc, 0x16, 0xff}, {0xa1, 0x62, 0x07, 0xff}, {0x9c, 0xa3, 0xaf, 0xff}}
	pal, next := palette{}, 0
	for _, s := range servers {
		if c, ok := known[s]; ok {
			pal[s] = c
			continue
		}
		pal[s] = spare[next%len(spare)]
		next++
	}
	return pal
}
