package sink

import (
	"context"
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// Batch is one batch ready to deliver. Sinks must not modify it or keep it after Send
// returns.
type Batch struct {
	// Tenant, Sensor, Sequence and ID identify the batch (api.Batch).
	Tenant   string
	Sensor   string
	Sequence uint64
	ID       string
	// Events are the batch's events.
	Events []api.Event
	// Body is the encoded batch (api.AppendBatchJSON), gzip-compressed when Gzip is set.
	Body []byte
	Gzip bool
	// Due is the wall-clock time the batch was due to leave on the open-model schedule:
	// when its last event was due, or, for a batch closed by age (BatchWait), when its wait
	// ran out. Latency measured from Due includes the generator's lag, queueing and retries,
	// so it does not hide a slow receiver (no coordinated omission).
	Due time.Time
}

// Result is the outcome of one delivery attempt that reached the receiver.
type Result struct {
	// Status is the HTTP status code (200 for sinks that always accept).
	Status int
	// Duplicate is set when the receiver had already acknowledged the batch.
	Duplicate bool
	// RetryAfter is the wait the receiver asked for on 429 and 503 (0 if none).
	RetryAfter time.Duration
}

// Acked reports whether the receiver acknowledged the batch.
func (r Result) Acked() bool { return r.Status >= 200 && r.Status < 300 }

// Retryable reports whether a sensor should send the same batch again: 408, 429 and 5xx.
func (r Result) Retryable() bool {
	return r.Status == 408 || r.Status == 429 || r.Status >= 500
}

// Sink delivers batches. Send blocks until the attempt completes or ctx is done; an error
// means the attempt did not reach the receiver (transport failure, timeout) and may be
// retried. Implementations are safe for concurrent use.
type Sink interface {
	Send(ctx context.Context, b *Batch) (Result, error)
}
