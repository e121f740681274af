package sink

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/stampede-load/stampede/backend/api"
)

var _ Sink = (*Recorder)(nil)

// Recorder writes every event of every batch it receives as one line of newline-delimited
// JSON (api.AppendRecordJSON) and acknowledges the batch. Lines of one sensor keep their
// order; lines of different sensors interleave in arrival order (for a byte-for-byte
// reproducible file, use sim.Record instead). Safe for concurrent use.
type Recorder struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error
}

// NewRecorder returns a Recorder writing to w. Call Flush when done.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: bufio.NewWriterSize(w, 1<<20)} }

// Send implements Sink. After a write error every Send returns it.
func (r *Recorder) Send(_ context.Context, b *Batch) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return Result{}, r.err
	}
	for i := range b.Events {
		r.buf = api.AppendRecordJSON(r.buf[:0], b.Tenant, b.Sensor, &b.Events[i])
		if _, err := r.w.Write(r.buf); err != nil {
			r.err = fmt.Errorf("record batch %s: %w", b.ID, err)
			return Result{}, r.err
		}
	}
	return Result{Status: 200}, nil
}

// Flush writes buffered lines to the underlying writer.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	return r.w.Flush()
}
