package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/stampede-load/stampede/backend/scaler"
	"github.com/stampede-load/stampede/backend/throttle"
)

// usageInterval is how often nodes report consumed request units to the scaler.
const usageInterval = 5 * time.Second

// scaleClient talks to the elastic scaler: it forwards scale-up requests, coalesced per
// container to at most one per second, and reports usage. It never blocks the data path;
// what it cannot send is counted as dropped.
type scaleClient struct {
	base  string
	http  *http.Client
	m     *metrics
	reqs  chan throttle.Throttled
	usage func() map[[2]string]float64
}

func newScaleClient(base string, m *metrics) *scaleClient {
	return &scaleClient{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: 5 * time.Second},
		m: m, reqs: make(chan throttle.Throttled, 1024)}
}

// request queues a scale-up request for a throttled container.
func (c *scaleClient) request(t throttle.Throttled) {
	if t.Container == "" {
		return
	}
	select {
	case c.reqs <- t:
	default:
		c.m.scaleDropped.Inc()
	}
}

func (c *scaleClient) run(ctx context.Context) {
	sent := map[[2]string]time.Time{}
	usage := time.NewTicker(usageInterval)
	defer usage.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-c.reqs:
			k := [2]string{t.Database, t.Container}
			if time.Since(sent[k]) < time.Second {
				continue
			}
			sent[k] = time.Now()
			c.post(ctx, "/v1/scale-up", scaler.ScaleRequest{Database: t.Database, Container: t.Container,
				RetryAfterMs: t.RetryAfter.Milliseconds()})
			c.m.scaleRequests.Inc()
		case now := <-usage.C:
			c.reportUsage(ctx, now.Sub(last))
			last = now
		}
	}
}

func (c *scaleClient) reportUsage(ctx context.Context, over time.Duration) {
	if c.usage == nil {
		return
	}
	var reports []scaler.UsageReport
	for k, ru := range c.usage() {
		reports = append(reports, scaler.UsageReport{Database: k[0], Container: k[1],
			RequestUnits: ru, Seconds: over.Seconds()})
	}
	if len(reports) > 0 {
		c.post(ctx, "/v1/usage", reports)
	}
}

func (c *scaleClient) registerTenant(ctx context.Context, t *tenant) {
	c.put(ctx, "/v1/tenants/"+t.database, scaler.Schedule{WorkStart: t.spec.WorkStart,
		WorkEnd: t.spec.WorkEnd, UTCOffsetHours: t.spec.UTCOffsetHours})
}

func (c *scaleClient) post(ctx context.Context, path string, body any) {
	c.send(ctx, http.MethodPost, path, body)
}
func (c *scaleClient) put(ctx context.Context, path string, body any) {
	c.send(ctx, http.MethodPut, path, body)
}

func (c *scaleClient) send(ctx context.Context, method, path string, body any) {
	raw, err := json.Marshal(body)
	if err != nil {
		return
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(raw))
	if err != nil {
		c.m.scaleDropped.Inc()
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		c.m.scaleDropped.Inc()
		return
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		c.m.scaleDropped.Inc()
	}
}

// nodeUsage collects and resets the request units every node consumed, per container.
func (b *Backend) nodeUsage() map[[2]string]float64 {
	total := map[[2]string]float64{}
	for _, n := range b.nodes {
		for k, ru := range n.usage.Take() {
			total[k] += ru
		}
	}
	return total
}
