package backend

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// tryTimeout bounds each HTTP attempt to Cosmos DB. It sits after the SDK's regional retry
// policy, so an attempt that times out reaches that policy as a transport error while the
// caller's context is still live: reads move to the next region at once, and a write fails
// fast so the flusher keeps its change, notes the failure and, when failures last, replaces
// the client to rediscover the write region. Without it a region that accepts connections
// and never answers holds every write (and the flush cycle) until the region returns.
type tryTimeout struct{ d time.Duration }

func (p tryTimeout) Do(req *policy.Request) (*http.Response, error) {
	parent := req.Raw().Context()
	ctx, cancel := context.WithTimeout(parent, p.d)
	resp, err := req.WithContext(ctx).Next()
	if err != nil && parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if f, ok := parent.Value(attemptTimeoutKey{}).(func()); ok {
			f()
		}
	}
	if err != nil || resp == nil || resp.Body == nil {
		cancel()
		return resp, err
	}
	// The body is read after Next returns (by the SDK's download policy or the caller): the
	// attempt's context ends when the body is closed.
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type attemptTimeoutKey struct{}

// onAttemptTimeout returns ctx carrying f, which tryTimeout calls when an attempt made with
// the returned context (or one derived from it) times out, before the SDK's own retries of
// that attempt: a flush cycle ends at once instead of waiting for them.
func onAttemptTimeout(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, attemptTimeoutKey{}, f)
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// installTryTimeout adds the per-attempt timeout to opts; d <= 0 leaves attempts unbounded.
func installTryTimeout(opts *azcosmos.ClientOptions, d time.Duration) {
	if d > 0 {
		opts.PerRetryPolicies = append(opts.PerRetryPolicies, tryTimeout{d: d})
	}
}
