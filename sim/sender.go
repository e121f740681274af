package sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"math/rand/v2"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/sink"
)

// sendLoop delivers s's batches until its queue is closed and empty; Config.InFlight loops
// share each queue. After ctx is done, what is left counts as unsent.
func (f *Fleet) sendLoop(ctx context.Context, s *sensor) {
	enc := &encoder{gzip: f.cfg.Gzip}
	for ob := range s.queue {
		if ctx.Err() != nil {
			f.counters.unsent.Add(int64(len(ob.events)))
		} else {
			f.deliver(ctx, s, ob, enc)
		}
		f.putBatch(ob.events)
	}
}

// deliver sends one batch, retrying with backoff and the same batch id until it is
// acknowledged, rejected, out of attempts, or ctx is done.
func (f *Fleet) deliver(ctx context.Context, s *sensor, ob outBatch, enc *encoder) {
	b := &sink.Batch{
		Tenant: s.stream.tenant, Sensor: s.stream.sensor, Sequence: ob.seq,
		ID: api.BatchID(s.stream.sensor, ob.seq), Events: ob.events, Gzip: f.cfg.Gzip,
		Due: f.start.Add(ob.due),
	}
	b.Body = enc.encode(b)
	n := int64(len(ob.events))
	c := &f.counters
	for attempt := 1; ; attempt++ {
		res, err := f.sink.Send(ctx, b)
		switch {
		case err != nil && ctx.Err() != nil:
			c.unsent.Add(n)
			return
		case err != nil:
			c.transportErrors.Add(1)
			f.warn("transport", "delivery failing; retrying", "err", err)
		case res.Acked():
			c.status(res.Status)
			c.acked.Add(n)
			s.acked.Add(n)
			c.batches.Add(1)
			if res.Duplicate {
				c.duplicates.Add(n)
			}
			return
		case !res.Retryable():
			c.status(res.Status)
			c.rejected.Add(n)
			f.warn("rejected", "batches rejected; not retrying", "status", res.Status)
			return
		default:
			c.status(res.Status)
		}
		if f.cfg.MaxAttempts > 0 && attempt >= f.cfg.MaxAttempts {
			c.failed.Add(n)
			f.warn("failed", "batches out of attempts; counted as failed",
				"attempts", f.cfg.MaxAttempts)
			return
		}
		c.retries.Add(1)
		if !sleep(ctx, f.backoff(attempt, res.RetryAfter)) {
			c.unsent.Add(n)
			return
		}
	}
}

// backoff returns the wait before attempt+1: full jitter over an exponential ceiling, or
// the receiver's Retry-After if longer.
func (f *Fleet) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := f.cfg.BackoffBase << min(attempt-1, 20)
	ceiling = min(ceiling, f.cfg.BackoffMax)
	wait := time.Duration(rand.Int64N(int64(ceiling) + 1))
	return max(wait, retryAfter)
}

// sleep waits d or until ctx is done; false means ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// encoder encodes batches into a reused buffer, compressing when gzip is set. Each sender
// has its own.
type encoder struct {
	gzip  bool
	plain []byte
	zbuf  bytes.Buffer
	zw    *gzip.Writer
}

func (e *encoder) encode(b *sink.Batch) []byte {
	e.plain = api.AppendBatchJSON(e.plain[:0], &api.Batch{
		Tenant: b.Tenant, Sensor: b.Sensor, Sequence: b.Sequence, ID: b.ID, Events: b.Events,
	})
	if !e.gzip {
		return e.plain
	}
	e.zbuf.Reset()
	if e.zw == nil {
		e.zw, _ = gzip.NewWriterLevel(&e.zbuf, gzip.BestSpeed)
	} else {
		e.zw.Reset(&e.zbuf)
	}
	_, _ = e.zw.Write(e.plain)
	_ = e.zw.Close()
	return e.zbuf.Bytes()
}
