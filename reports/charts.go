package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// maxChartPoints bounds the points of one line: longer runs are drawn in buckets of several
// seconds (rates averaged, latency percentiles from the bucket's merged histogram).
const maxChartPoints = 600

// chart is one time-series chart of the HTML report.
type chart struct {
	ID, Title, YLabel, Caption string
	lines                      []chartLine
	// markers are vertical lines at seconds (scale actions, failovers, phases).
	markers []chartMarker
	// bands are shaded ranges of seconds (a region down).
	bands []chartBand
}

type chartLine struct {
	name string
	ys   []float64 // per bucket; NaN where there is no data
}

type chartMarker struct {
	at    float64
	color color.Color
	dash  bool
}

type chartBand struct{ from, to float64 }

var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

var (
	phaseColor = color.Gray{Y: 0xa0}
	eventColor = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	bandColor  = color.NRGBA{0xd6, 0x27, 0x28, 0x30}
)

// timeline holds what the charts of one summary share: the bucket size and the markers.
type timeline struct {
	s       *Summary
	bucket  int
	buckets int
	phases  []chartMarker
}

func newTimeline(s *Summary) *timeline {
	n := s.Run.DurationSeconds
	k := max(1, (n+maxChartPoints-1)/maxChartPoints)
	t := &timeline{s: s, bucket: k, buckets: (n + k - 1) / k}
	for _, p := range s.Phases {
		if p.StartSeconds > 0 {
			t.phases = append(t.phases, chartMarker{float64(p.StartSeconds), phaseColor, true})
		}
	}
	return t
}

func (t *timeline) window(b int) Window { return Window{b * t.bucket, (b + 1) * t.bucket} }

// counterRate is the per-second rate of a counter (all label sets), per bucket.
func (t *timeline) counterRate(name string, sel Labels) []float64 {
	series := t.s.Find(name, sel)
	if len(series) == 0 {
		return nil
	}
	out := make([]float64, t.buckets)
	for b := range out {
		w := t.window(b).clamp(t.s.Run.DurationSeconds)
		var sum float64
		for _, s := range series {
			sum += s.Values.Sum(w)
		}
		out[b] = sum / float64(max(1, w.To-w.From))
	}
	return out
}

// gaugeMean is the mean level of the combined gauge series per bucket.
func (t *timeline) gaugeMean(series []*Series) []float64 {
	if len(series) == 0 {
		return nil
	}
	out := make([]float64, t.buckets)
	for b := range out {
		v, ok := aggregateGauge(series, Aggregation{Name: "avg"}, Span{t.window(b)})
		out[b] = v
		if !ok {
			out[b] = math.NaN()
		}
	}
	return out
}

// trendPercentiles returns one line per percentile of a trend (all label sets merged).
func (t *timeline) trendPercentiles(name string, pcts []float64) [][]float64 {
	series := t.s.Find(name, nil)
	if len(series) == 0 {
		return nil
	}
	return percentileSeries(series, pcts, t.bucket, t.buckets)
}

// eventMarkers marks the events of the given kinds.
func (t *timeline) eventMarkers(kinds ...string) []chartMarker {
	var out []chartMarker
	for _, e := range t.s.Events {
		if slices.Contains(kinds, e.Kind) {
			out = append(out, chartMarker{e.AtSeconds, eventColor, false})
		}
	}
	return out
}

// scaled multiplies every value (seconds to milliseconds for latency charts).
func scaled(ys []float64, f float64) []float64 {
	out := make([]float64, len(ys))
	for i, y := range ys {
		out[i] = y * f
	}
	return out
}

// charts builds every chart the summary has data for.
func (t *timeline) charts() []chart {
	builders := []func() (chart, bool){t.rateChart, t.latencyChart, t.ruChart,
		t.throttleChart, t.regionChart, t.schemaChart}
	var out []chart
	for _, b := range builders {
		if c, ok := b(); ok {
			c.markers = append(c.markers, t.phases...)
			out = append(out, c)
		}
	}
	return out
}

func (t *timeline) rateChart() (chart, bool) {
	c := chart{ID: "rate", Title: "Event rate", YLabel: "events/s",
		Caption: "Events sent by the sensors and acknowledged by the backend, per second."}
	c.addLine("sent", t.counterRate(MetricEventsSent, nil))
	c.addLine("acknowledged", t.counterRate(MetricEventsAcked, nil))
	c.addLine("dropped sends", t.counterRate(MetricSendsDropped, nil))
	if c.bands = restartBands(t.s.Events); len(c.bands) > 0 {
		c.markers = t.eventMarkers(EventRestart)
		c.Caption += " Shaded, between orange lines, while a backend node restarted."
	}
	return c, len(c.lines) > 0
}

// restartBands pairs each restart's start event with its end (the next end event of the
// same target): the window the node was restarting. A restart still running at the end
// of the run has no end, and no band.
func restartBands(events []Event) []chartBand {
	var out []chartBand
	started := map[string]float64{}
	for _, e := range events {
		if e.Kind != EventRestart {
			continue
		}
		target := e.Labels["target"]
		switch e.Labels["stage"] {
		case "start":
			started[target] = e.AtSeconds
		case "end":
			if from, ok := started[target]; ok {
				out = append(out, chartBand{from, e.AtSeconds})
				delete(started, target)
			}
		}
	}
	return out
}

func (t *timeline) latencyChart() (chart, bool) {
	c := chart{ID: "latency", Title: "Latency percentiles", YLabel: "ms",
		Caption: "Ingest latency from the intended send time, and Cosmos DB operation latency."}
	pcts := []float64{50, 95, 99}
	for i, ys := range t.trendPercentiles(MetricIngestLatency, pcts) {
		c.addLine(fmt.Sprintf("ingest p(%g)", pcts[i]), scaled(ys, 1000))
	}
	for _, ys := range t.trendPercentiles(MetricCosmosLatency, []float64{99}) {
		c.addLine("Cosmos DB p(99)", scaled(ys, 1000))
	}
	return c, len(c.lines) > 0
}

func (t *timeline) ruChart() (chart, bool) {
	c := chart{ID: "ru", Title: "RU/s consumed vs provisioned", YLabel: "RU/s",
		Caption: "Request units consumed and provisioned, over all containers; " +
			"orange lines mark scale actions."}
	c.addLine("consumed", t.counterRate(MetricRUConsumed, nil))
	c.addLine("provisioned", t.gaugeMean(t.s.Find(MetricRUProvisioned, nil)))
	c.markers = t.eventMarkers(EventScale)
	return c, len(c.lines) > 0
}

func (t *timeline) throttleChart() (chart, bool) {
	c := chart{ID: "throttle", Title: "429s and retries", YLabel: "per second",
		Caption: "Cosmos DB 429 responses and the throttle policy's retries, per second."}
	c.addLine("429s", t.counterRate(MetricCosmosThrottled, nil))
	c.addLine("retries", t.counterRate(MetricCosmosRetries, nil))
	return c, len(c.lines) > 0
}

func (t *timeline) regionChart() (chart, bool) {
	c := chart{ID: "regions", Title: "Replication lag and regions", YLabel: "lag (ms)",
		Caption: "Replication lag per read region; shaded while a region was down, " +
			"orange lines mark failovers and region changes."}
	for _, s := range t.s.Find(MetricReplicationLag, nil) {
		c.addLine(s.Labels["region"], scaled(t.gaugeMean([]*Series{s}), 1000))
	}
	for _, s := range t.s.Find(MetricRegionUp, nil) {
		c.bands = append(c.bands, downBands(s)...)
	}
	c.markers = t.eventMarkers(EventFailover, EventRegionDown, EventRegionUp)
	return c, len(c.lines) > 0 || len(c.bands) > 0
}

// downBands are the stretches where a region_up gauge was 0.
func downBands(s *Series) []chartBand {
	var out []chartBand
	start := -1
	for i, v := range s.Values {
		down := v == 0
		switch {
		case down && start < 0:
			start = i
		case !down && start >= 0:
			out = append(out, chartBand{float64(start), float64(i)})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, chartBand{float64(start), float64(len(s.Values))})
	}
	return out
}

func (t *timeline) schemaChart() (chart, bool) {
	c := chart{ID: "schema", Title: "Documents per schema version", YLabel: "documents",
		Caption: "Documents at each schema version over time; orange lines mark upgrades."}
	byVersion := map[string][]*Series{}
	for _, s := range t.s.Find(MetricDocsBySchema, nil) {
		byVersion[s.Labels["version"]] = append(byVersion[s.Labels["version"]], s)
	}
	versions := make([]string, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	for _, v := range versions {
		c.addLine("v"+v, t.gaugeMean(byVersion[v]))
	}
	c.markers = t.eventMarkers(EventUpgrade)
	return c, len(c.lines) > 0
}

func (c *chart) addLine(name string, ys []float64) {
	if ys != nil {
		c.lines = append(c.lines, chartLine{name, ys})
	}
}

// svg renders the chart with gonum/plot as an inline SVG element.
func (c *chart) svg(bucket, seconds int) (string, error) {
	p := plot.New()
	p.X.Min, p.X.Max = 0, float64(max(seconds, 1))
	p.Title.Text = c.Title
	p.X.Label.Text = "seconds"
	p.Y.Label.Text = c.YLabel
	p.Y.Min = 0
	p.Y.Tick.Marker = compactTicks{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	p.Add(bandsPlotter(c.bands))
	for i, l := range c.lines {
		xys := make(plotter.XYs, 0, len(l.ys))
		for b, y := range l.ys {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				xys = append(xys, plotter.XY{X: float64(b * bucket), Y: y})
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return "", fmt.Errorf("chart %s: %w", c.ID, err)
		}
		line.Color = palette[i%len(palette)]
		line.Width = vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(l.name, line)
	}
	p.Add(markersPlotter(c.markers))
	// Leave headroom so the legend at the top does not cover the lines.
	p.Y.Max = max(p.Y.Max*1.3, 1)

	canvas := vgsvg.New(18*vg.Centimeter, 7*vg.Centimeter)
	p.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("chart %s: %w", c.ID, err)
	}
	out := buf.String()
	// Drop the XML prelude: the SVG is inlined into the HTML document.
	if i := strings.Index(out, "<svg"); i > 0 {
		out = out[i:]
	}
	return out, nil
}

// markersPlotter draws vertical lines across the plot area.
type markersPlotter []chartMarker

func (m markersPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, mk := range m {
		if mk.at < p.X.Min || mk.at > p.X.Max {
			continue
		}
		style := draw.LineStyle{Color: mk.color, Width: vg.Points(1)}
		if mk.dash {
			style.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		}
		x := trX(mk.at)
		c.StrokeLine2(style, x, c.Min.Y, x, c.Max.Y)
	}
}

// bandsPlotter shades ranges of the x axis.
type bandsPlotter []chartBand

func (b bandsPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, band := range b {
		from, to := max(band.from, p.X.Min), min(band.to, p.X.Max)
		if to <= from {
			continue
		}
		x0, x1 := trX(from), trX(to)
		c.FillPolygon(bandColor, []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y},
			{X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}})
	}
}

// compactTicks labels ticks as gonum/plot's default ticker places them, without trailing
// zeros ("25000", not "25000.00").
type compactTicks struct{}

func (compactTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 6, 64)
		}
	}
	return ticks
}
