package runner

import (
	"log/slog"
	"sync"
	"time"

	"github.com/stampede-load/stampede/reports"
)

// recording wraps the run's recorder for samplers. Metric names and labels are fixed in
// code, so a refused series is a programming error: it is logged once, and the series is
// missing from the report, where a threshold on it fails for lack of samples.
type recording struct {
	rec  *reports.Recorder
	log  *slog.Logger
	once sync.Once
}

func (r *recording) failed(err error) {
	r.once.Do(func() { r.log.Error("recording metric", "err", err) })
}

func (r *recording) add(metric string, labels reports.Labels, v float64) {
	c, err := r.rec.Counter(metric, labels)
	if err != nil {
		r.failed(err)
		return
	}
	c.Add(v)
}

func (r *recording) set(metric string, labels reports.Labels, v float64) {
	g, err := r.rec.Gauge(metric, labels)
	if err != nil {
		r.failed(err)
		return
	}
	g.Set(v)
}

func (r *recording) ratio(metric string, labels reports.Labels, hits, total int64) {
	rt, err := r.rec.Rate(metric, labels)
	if err != nil {
		r.failed(err)
		return
	}
	rt.AddN(hits, total)
}

func (r *recording) observe(metric string, labels reports.Labels, at time.Time, v float64) {
	t, err := r.rec.Trend(metric, labels)
	if err != nil {
		r.failed(err)
		return
	}
	t.ObserveAt(at, v)
}
