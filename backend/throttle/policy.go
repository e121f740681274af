package throttle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// Defaults of [Config], chosen like the .NET and Java Cosmos SDKs.
const (
	DefaultMaxRetries   = 9
	DefaultMaxWait      = 30 * time.Second
	DefaultJitter       = 0.2
	DefaultBaseBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	retryAfterMsHeader  = "x-ms-retry-after-ms"
	retryAfterMsHeader2 = "Retry-After-Ms"
	substatusHeader     = "x-ms-substatus"
)

// Config tunes the throttle policy. The zero value means every default.
type Config struct {
	// MaxRetries bounds the retries of one throttled request (not counting the first try).
	// 0 means DefaultMaxRetries; -1 disables retrying 429s.
	MaxRetries int
	// MaxWait bounds the cumulative time one request waits between its tries.
	// 0 means DefaultMaxWait. A retry whose delay would pass the bound is not made.
	MaxWait time.Duration
	// Jitter is the extra random fraction added to each delay, in [0, 1]. 0 means
	// DefaultJitter; a negative value disables jitter.
	Jitter float64
	// BaseBackoff is the first delay when the response carries no usable retry-after header;
	// it doubles per retry up to MaxBackoff. 0 means DefaultBaseBackoff.
	BaseBackoff time.Duration
	// MaxBackoff caps the header-less backoff. 0 means DefaultMaxBackoff.
	MaxBackoff time.Duration
	// OnThrottle, if set, is called once for every 429 response, synchronously on the
	// request's goroutine; it must not block.
	OnThrottle func(Throttled)
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.MaxRetries < -1 {
		errs = append(errs, fmt.Errorf("throttle: MaxRetries %d: want -1 (off), 0 (default) or more", c.MaxRetries))
	}
	if c.MaxWait < 0 {
		errs = append(errs, fmt.Errorf("throttle: MaxWait %v: must not be negative", c.MaxWait))
	}
	if c.Jitter > 1 {
		errs = append(errs, fmt.Errorf("throttle: Jitter %v: want a fraction up to 1", c.Jitter))
	}
	if c.BaseBackoff < 0 || c.MaxBackoff < 0 {
		errs = append(errs, errors.New("throttle: BaseBackoff and MaxBackoff must not be negative"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.Jitter == 0 {
		c.Jitter = DefaultJitter
	} else if c.Jitter < 0 {
		c.Jitter = 0
	}
	if c.BaseBackoff == 0 {
		c.BaseBackoff = DefaultBaseBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	return c
}

// Throttled describes one 429 response, for [Config.OnThrottle].
type Throttled struct {
	Database   string        // database id from the request path, "" for account calls
	Container  string        // container id from the request path, "" if none
	RetryAfter time.Duration // the server's requested delay, 0 if it sent none
	Substatus  string        // x-ms-substatus, e.g. "3200"
}

// Stats are cumulative counters of a [Policy]; all fields only grow.
type Stats struct {
	Requests  int64         // logical requests that went through the policy
	Throttled int64         // 429 responses received
	Retries   int64         // retries made after a 429
	Exhausted int64         // requests handed back still throttled (attempts or wait bound)
	Waited    time.Duration // cumulative time spent waiting before retries
}

// Policy is an azcore per-call policy that retries 429 responses. It is safe for concurrent
// use; install one per client with [Install] (or share one across clients to pool counters).
type Policy struct {
	cfg       Config
	requests  atomic.Int64
	throttled atomic.Int64
	retries   atomic.Int64
	exhausted atomic.Int64
	waitedNs  atomic.Int64
}

var _ policy.Policy = (*Policy)(nil)

// New returns a policy for cfg; it fails if cfg is invalid.
func New(cfg Config) (*Policy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Policy{cfg: cfg.withDefaults()}, nil
}

// Install adds p to opts and removes 429 from azcore's retried status codes, so that 429s
// are retried by p alone. Other statuses keep azcore's defaults.
func Install(opts *azcosmos.ClientOptions, p *Policy) {
	opts.PerCallPolicies = append(opts.PerCallPolicies, p)
	opts.Retry.StatusCodes = []int{
		http.StatusRequestTimeout,
		http.StatusInternalServerError,
		http.StatusBadGateway,
		http.StatusServiceUnavailable,
		http.StatusGatewayTimeout,
	}
}

// Stats returns a snapshot of the counters.
func (p *Policy) Stats() Stats {
	return Stats{
		Requests:  p.requests.Load(),
		Throttled: p.throttled.Load(),
		Retries:   p.retries.Load(),
		Exhausted: p.exhausted.Load(),
		Waited:    time.Duration(p.waitedNs.Load()),
	}
}

// Do implements policy.Policy.
func (p *Policy) Do(req *policy.Request) (*http.Response, error) {
	p.requests.Add(1)
	ctx := req.Raw().Context()
	var waited time.Duration
	for retry := 0; ; retry++ {
		resp, err := req.Next()
		if err != nil || resp.StatusCode != http.StatusTooManyRequests {
			return resp, err
		}
		p.throttled.Add(1)
		serverDelay := retryAfter(resp.Header)
		p.notify(req.Raw().URL, resp.Header, serverDelay)

		delay := p.delay(serverDelay, retry)
		if retry >= p.cfg.MaxRetries || waited+delay > p.cfg.MaxWait {
			p.exhausted.Add(1)
			return resp, nil
		}
		drain(resp)
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
		waited += delay
		p.waitedNs.Add(int64(delay))
		p.retries.Add(1)
		if err := req.RewindBody(); err != nil {
			return nil, fmt.Errorf("rewind body for 429 retry: %w", err)
		}
	}
}

// delay is the wait before retry number retry+1: the server's delay, or an exponential
// backoff without one, plus jitter.
func (p *Policy) delay(server time.Duration, retry int) time.Duration {
	d := server
	if d <= 0 {
		d = p.cfg.BaseBackoff << min(retry, 20)
		d = min(d, p.cfg.MaxBackoff)
	}
	if p.cfg.Jitter > 0 {
		d += time.Duration(rand.Float64() * p.cfg.Jitter * float64(d))
	}
	return d
}

func (p *Policy) notify(u *url.URL, h http.Header, server time.Duration) {
	if p.cfg.OnThrottle == nil {
		return
	}
	db, coll := resourceNames(u)
	p.cfg.OnThrottle(Throttled{
		Database:   db,
		Container:  coll,
		RetryAfter: server,
		Substatus:  h.Get(substatusHeader),
	})
}

// retryAfter reads the server's delay: Retry-After-Ms, x-ms-retry-after-ms (milliseconds,
// decimals allowed) or Retry-After (seconds). It returns 0 if none is usable.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{retryAfterMsHeader2, retryAfterMsHeader} {
		if v := h.Get(name); v != "" {
			if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 3.6e6 {
				return time.Duration(ms * float64(time.Millisecond))
			}
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s > 0 && s < 3600 {
			return time.Duration(s) * time.Second
		}
	}
	return 0
}

// resourceNames extracts the database and container ids from a Cosmos resource path such as
// /dbs/{db}/colls/{c}/docs/{id}.
func resourceNames(u *url.URL) (database, container string) {
	parts := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	for i := 0; i+1 < len(parts); i += 2 {
		name, err := url.PathUnescape(parts[i+1])
		if err != nil {
			name = parts[i+1]
		}
		switch parts[i] {
		case "dbs":
			database = name
		case "colls":
			container = name
		}
	}
	return database, container
}

func drain(resp *http.Response) {
	if resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
