package throttle

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// fakeCosmos answers the account call with {} and every item read with 429 until throttles
// reaches zero, then with a document.
type fakeCosmos struct {
	throttles  atomic.Int64
	retryAfter string
	itemCalls  atomic.Int64
}

func (f *fakeCosmos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		_, _ = w.Write([]byte("{}"))
		return
	}
	f.itemCalls.Add(1)
	if f.throttles.Add(-1) >= 0 {
		if f.retryAfter != "" {
			w.Header().Set("x-ms-retry-after-ms", f.retryAfter)
		}
		w.Header().Set("x-ms-substatus", "3200")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"code":"TooManyRequests"}`))
		return
	}
	_, _ = w.Write([]byte(`{"id":"e1"}`))
}

func newClient(t *testing.T, f *fakeCosmos, cfg Config) (*azcosmos.ContainerClient, *Policy) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p, err := New(cfg)
	require.NoError(t, err)
	cred, err := azcosmos.NewKeyCredential("dGVzdGtleQ==")
	require.NoError(t, err)
	opts := &azcosmos.ClientOptions{}
	Install(opts, p)
	client, err := azcosmos.NewClientWithKey(srv.URL, cred, opts)
	require.NoError(t, err)
	cc, err := client.NewContainer("tenant-a", "UniqueEntityProfile")
	require.NoError(t, err)
	return cc, p
}

func readItem(cc *azcosmos.ContainerClient) error {
	_, err := cc.ReadItem(context.Background(), azcosmos.NewPartitionKeyString("e1"), "e1", nil)
	return err
}

func TestPolicyRetries(t *testing.T) {
	tests := []struct {
		name          string
		throttles     int64
		retryAfter    string
		cfg           Config
		wantErr429    bool
		wantCalls     int64
		wantRetries   int64
		wantExhausted int64
	}{
		{name: "three 429s then success within defaults", throttles: 3, retryAfter: "5",
			wantCalls: 4, wantRetries: 3},
		{name: "nine retries allowed by default, more than the SDK's three", throttles: 9,
			retryAfter: "1", wantCalls: 10, wantRetries: 9},
		{name: "attempt bound hands the 429 back", throttles: 20, retryAfter: "1",
			wantErr429: true, wantCalls: 10, wantRetries: 9, wantExhausted: 1},
		{name: "custom attempt bound", throttles: 20, retryAfter: "1", cfg: Config{MaxRetries: 2},
			wantErr429: true, wantCalls: 3, wantRetries: 2, wantExhausted: 1},
		{name: "retries off: one attempt, azcore does not retry either", throttles: 5,
			retryAfter: "1", cfg: Config{MaxRetries: -1},
			wantErr429: true, wantCalls: 1, wantRetries: 0, wantExhausted: 1},
		{name: "total wait bound stops before the attempt bound", throttles: 20, retryAfter: "40",
			cfg:        Config{MaxWait: 100 * time.Millisecond, Jitter: -1},
			wantErr429: true, wantCalls: 3, wantRetries: 2, wantExhausted: 1},
		{name: "no header: exponential backoff", throttles: 3,
			cfg:       Config{BaseBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond},
			wantCalls: 4, wantRetries: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeCosmos{retryAfter: tt.retryAfter}
			f.throttles.Store(tt.throttles)
			cc, p := newClient(t, f, tt.cfg)

			err := readItem(cc)
			if tt.wantErr429 {
				var re *azcore.ResponseError
				require.True(t, errors.As(err, &re), "got %v, want a ResponseError", err)
				require.Equal(t, http.StatusTooManyRequests, re.StatusCode)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantCalls, f.itemCalls.Load(), "item requests sent")
			st := p.Stats()
			require.Equal(t, tt.wantRetries, st.Retries)
			require.Equal(t, tt.wantExhausted, st.Exhausted)
			require.Equal(t, min(tt.throttles, tt.wantCalls), st.Throttled)
		})
	}
}

func TestPolicyHonoursRetryAfter(t *testing.T) {
	f := &fakeCosmos{retryAfter: "30"}
	f.throttles.Store(2)
	cc, p := newClient(t, f, Config{Jitter: -1})
	start := time.Now()
	require.NoError(t, readItem(cc))
	elapsed := time.Since(start)
	require.GreaterOrEqual(t, elapsed, 60*time.Millisecond)
	require.Equal(t, 60*time.Millisecond, p.Stats().Waited)
}

func TestPolicyReportsThrottledContainer(t *testing.T) {
	var mu sync.Mutex
	var seen []Throttled
	f := &fakeCosmos{retryAfter: "2"}
	f.throttles.Store(2)
	cc, _ := newClient(t, f, Config{OnThrottle: func(th Throttled) {
		mu.Lock()
		seen = append(seen, th)
		mu.Unlock()
	}})
	require.NoError(t, readItem(cc))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2)
	want := Throttled{Database: "tenant-a", Container: "UniqueEntityProfile",
		RetryAfter: 2 * time.Millisecond, Substatus: "3200"}
	require.Equal(t, want, seen[0])
}

func TestPolicyStopsOnCancel(t *testing.T) {
	f := &fakeCosmos{retryAfter: "10000"}
	f.throttles.Store(5)
	cc, _ := newClient(t, f, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := cc.ReadItem(ctx, azcosmos.NewPartitionKeyString("e1"), "e1", nil)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"cosmos header in ms", map[string]string{"x-ms-retry-after-ms": "250"}, 250 * time.Millisecond},
		{"decimal ms", map[string]string{"x-ms-retry-after-ms": "100.5"}, 100500 * time.Microsecond},
		{"Retry-After-Ms first", map[string]string{"Retry-After-Ms": "7", "x-ms-retry-after-ms": "9"},
			7 * time.Millisecond},
		{"seconds", map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{"zero is unusable", map[string]string{"x-ms-retry-after-ms": "0"}, 0},
		{"negative is unusable", map[string]string{"x-ms-retry-after-ms": "-5"}, 0},
		{"garbage is unusable", map[string]string{"x-ms-retry-after-ms": "soon"}, 0},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			require.Equal(t, tt.want, retryAfter(h))
		})
	}
}

func TestResourceNames(t *testing.T) {
	tests := []struct{ path, db, coll string }{
		{"/dbs/t1/colls/Alert/docs/a%2Fb", "t1", "Alert"},
		{"/dbs/my%20db/colls/c", "my db", "c"},
		{"/dbs/t1", "t1", ""},
		{"/", "", ""},
		{"/offers/AbCd/", "", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse("http://h" + tt.path)
		require.NoError(t, err)
		db, coll := resourceNames(u)
		require.Equal(t, tt.db, db, tt.path)
		require.Equal(t, tt.coll, coll, tt.path)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{MaxRetries: -3, MaxWait: -1, Jitter: 2}.Validate()
	require.Error(t, err)
	for _, field := range []string{"MaxRetries", "MaxWait", "Jitter"} {
		require.True(t, strings.Contains(err.Error(), field), "error %q should name %s", err, field)
	}
	require.NoError(t, Config{}.Validate())
}
