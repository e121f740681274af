package emulator

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// countingThrottler refuses while refuse > 0, asking for a 10 ms wait.
type countingThrottler struct {
	refuse   atomic.Int64
	admitted atomic.Int64
}

func (c *countingThrottler) Admit(PartitionRef, time.Time) (time.Duration, bool) {
	if c.refuse.Add(-1) >= 0 {
		return 10 * time.Millisecond, false
	}
	c.admitted.Add(1)
	return 0, true
}

func (c *countingThrottler) Consume(PartitionRef, time.Time, float64) {}

// TestThrottler_ThroughTheSDK checks the 429 shape the SDK's retry policy reads: three
// throttles are retried away, four reach the caller with substatus 3200.
func TestThrottler_ThroughTheSDK(t *testing.T) {
	th := &countingThrottler{}
	srv, err := Start(context.Background(), Config{Throttler: th})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	ctx := context.Background()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "d"}, nil)
	require.NoError(t, err)
	db, _ := client.NewDatabase("d")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil)
	require.NoError(t, err)
	c, _ := db.NewContainer("c")
	pk := azcosmos.NewPartitionKeyString("a")

	th.refuse.Store(3)
	start := time.Now()
	_, err = c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a"}`), nil)
	require.NoError(t, err, "three throttles are within the SDK's three retries")
	require.Less(t, time.Since(start), 5*time.Second, "the SDK waited x-ms-retry-after-ms")

	th.refuse.Store(4)
	_, err = c.ReadItem(ctx, pk, "1", nil)
	var re *azcore.ResponseError
	require.True(t, errors.As(err, &re), "got %v", err)
	require.Equal(t, http.StatusTooManyRequests, re.StatusCode)
	require.Equal(t, "3200", re.RawResponse.Header.Get(hdrSubstatus))
	require.Equal(t, "10", re.RawResponse.Header.Get(hdrRetryAfterMS))
}
