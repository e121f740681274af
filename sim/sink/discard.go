package sink

import (
	"context"
	"sync/atomic"
)

var _ Sink = (*Discard)(nil)

// Discard accepts and drops every batch, counting batches and events. The zero value is
// ready to use and safe for concurrent use.
type Discard struct {
	batches atomic.Int64
	events  atomic.Int64
	bytes   atomic.Int64
}

// Send implements Sink; it always answers 200.
func (d *Discard) Send(_ context.Context, b *Batch) (Result, error) {
	d.batches.Add(1)
	d.events.Add(int64(len(b.Events)))
	d.bytes.Add(int64(len(b.Body)))
	return Result{Status: 200}, nil
}

// Counts returns the batches, events and body bytes accepted so far.
func (d *Discard) Counts() (batches, events, bytes int64) {
	return d.batches.Load(), d.events.Load(), d.bytes.Load()
}
