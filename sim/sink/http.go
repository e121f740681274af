package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

var _ Sink = (*HTTPSink)(nil)

// DefaultHTTPTimeout bounds one delivery attempt of HTTPSink.
const DefaultHTTPTimeout = 30 * time.Second

// HTTPSink posts batches to a backend's ingest endpoint (api.IngestPath) with the bearer
// token of the batch's tenant. Safe for concurrent use.
type HTTPSink struct {
	url    string
	client *http.Client
	tokens func(tenant, sensor string) string
}

// HTTPOptions configures NewHTTPSink.
type HTTPOptions struct {
	// Client sends the requests; nil means a client with DefaultHTTPTimeout and enough idle
	// connections per host for a fleet.
	Client *http.Client
	// Tokens returns the bearer token of a tenant ("" sends no Authorization header).
	// Nil means no tokens.
	Tokens func(tenant string) string
	// SensorTokens returns the bearer token of one sensor, as the backend issues them; when
	// set it is used instead of Tokens.
	SensorTokens func(tenant, sensor string) string
}

// NewHTTPSink returns a sink posting to base (scheme, host and optional path prefix; the
// ingest path is appended).
func NewHTTPSink(base string, opts HTTPOptions) (*HTTPSink, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q: want an http:// or https:// URL with a host", base)
	}
	client := opts.Client
	if client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 1024
		client = &http.Client{Timeout: DefaultHTTPTimeout, Transport: transport}
	}
	tokens := opts.SensorTokens
	switch {
	case tokens != nil:
	case opts.Tokens != nil:
		tokens = func(tenant, _ string) string { return opts.Tokens(tenant) }
	default:
		tokens = func(string, string) string { return "" }
	}
	return &HTTPSink{
		url: strings.TrimSuffix(u.String(), "/") + api.IngestPath, client: client, tokens: tokens,
	}, nil
}

// Send implements Sink. A response is a Result whatever its status; only failures to get
// one are errors.
func (s *HTTPSink) Send(ctx context.Context, b *Batch) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(b.Body))
	if err != nil {
		return Result{}, fmt.Errorf("post batch %s: %w", b.ID, err)
	}
	req.Header.Set("Content-Type", api.ContentTypeJSON)
	if b.Gzip {
		req.Header.Set("Content-Encoding", api.EncodingGzip)
	}
	if token := s.tokens(b.Tenant, b.Sensor); token != "" {
		req.Header.Set(api.HeaderAuthorization, api.Bearer(token))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("post batch %s: %w", b.ID, err)
	}
	defer resp.Body.Close()
	res := Result{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header)}
	if res.Acked() {
		var ack api.Ack
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err == nil && len(body) > 0 && json.Unmarshal(body, &ack) == nil {
			res.Duplicate = ack.Duplicate
		}
		return res, nil
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return res, nil
}

// retryAfter parses Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := h.Get(api.HeaderRetryAfter)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
