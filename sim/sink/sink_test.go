package sink

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
)

func testBatch(t *testing.T, zip bool) *Batch {
	t.Helper()
	b := &Batch{Tenant: "t1", Sensor: "dc001", Sequence: 3, ID: "dc001:3", Gzip: zip,
		Events: []api.Event{{Kind: api.KindNTLM, SourceHost: "ws1",
			Time: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}}}
	body := api.AppendBatchJSON(nil, &api.Batch{Tenant: b.Tenant, Sensor: b.Sensor,
		Sequence: b.Sequence, ID: b.ID, Events: b.Events})
	if zip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write(body)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		body = buf.Bytes()
	}
	b.Body = body
	return b
}

func TestHTTPSinkSpeaksTheProtocol(t *testing.T) {
	tests := []struct {
		name      string
		gzip      bool
		status    int
		header    map[string]string
		body      string
		want      Result
		retryable bool
	}{
		{"ack", false, 200, nil, `{"batch_id":"dc001:3","accepted":1}`,
			Result{Status: 200}, false},
		{"duplicate gzip", true, 200, nil, `{"batch_id":"dc001:3","duplicate":true}`,
			Result{Status: 200, Duplicate: true}, false},
		{"throttled", false, 429, map[string]string{"Retry-After": "2"}, "",
			Result{Status: 429, RetryAfter: 2 * time.Second}, true},
		{"unavailable", false, 503, map[string]string{"Retry-After": "0.5"}, "",
			Result{Status: 503, RetryAfter: 500 * time.Millisecond}, true},
		{"bad batch", false, 400, nil, `{"title":"invalid batch","field":"events[0].kind"}`,
			Result{Status: 400}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *api.Batch
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request,
			) {
				require.Equal(t, api.IngestPath, r.URL.Path)
				require.Equal(t, http.MethodPost, r.Method)
				require.Equal(t, "Bearer tok-t1", r.Header.Get("Authorization"))
				require.Equal(t, api.ContentTypeJSON, r.Header.Get("Content-Type"))
				var body io.Reader = r.Body
				if tt.gzip {
					require.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
					zr, err := gzip.NewReader(r.Body)
					require.NoError(t, err)
					body = zr
				}
				data, err := io.ReadAll(body)
				require.NoError(t, err)
				got, err = api.DecodeBatch(data)
				require.NoError(t, err)
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			opts := HTTPOptions{Tokens: func(tenant string) string { return "tok-" + tenant }}
			if tt.gzip {
				// Per-sensor tokens win over per-tenant ones.
				opts.SensorTokens = func(tenant, sensor string) string {
					return "tok-" + tenant
				}
				opts.Tokens = func(string) string { return "wrong" }
			}
			s, err := NewHTTPSink(srv.URL+"/", opts)
			require.NoError(t, err)
			b := testBatch(t, tt.gzip)
			res, err := s.Send(t.Context(), b)
			require.NoError(t, err)
			require.Equal(t, tt.want, res)
			require.Equal(t, tt.retryable, res.Retryable())
			require.Equal(t, b.ID, got.ID)
			require.NoError(t, got.Validate())
		})
	}
}

func TestHTTPSinkErrors(t *testing.T) {
	for _, bad := range []string{"", "ftp://x", "http://", "::"} {
		_, err := NewHTTPSink(bad, HTTPOptions{})
		require.ErrorContains(t, err, "want an http:// or https:// URL", "target %q", bad)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	s, err := NewHTTPSink(srv.URL, HTTPOptions{})
	require.NoError(t, err)
	_, err = s.Send(context.Background(), testBatch(t, false))
	require.ErrorContains(t, err, "post batch dc001:3")
}

func TestRecorderAndDiscard(t *testing.T) {
	var buf bytes.Buffer
	r := NewRecorder(&buf)
	b := testBatch(t, false)
	res, err := r.Send(t.Context(), b)
	require.NoError(t, err)
	require.True(t, res.Acked())
	require.NoError(t, r.Flush())
	require.True(t, strings.HasPrefix(buf.String(), `{"tenant":"t1","sensor":"dc001","kind":"ntlm"`))

	var d Discard
	_, err = d.Send(t.Context(), b)
	require.NoError(t, err)
	batches, events, bytes := d.Counts()
	require.Equal(t, []int64{1, 1, int64(len(b.Body))}, []int64{batches, events, bytes})
}
