package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// tpEpoch is the start of the injected clock: budgets are per second of it.
var tpEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// atomicClock is a settable clock safe to read from server goroutines.
type atomicClock struct{ nanos atomic.Int64 }

func newAtomicClock(t time.Time) *atomicClock {
	c := &atomicClock{}
	c.set(t)
	return c
}

func (c *atomicClock) now() time.Time      { return time.Unix(0, c.nanos.Load()).UTC() }
func (c *atomicClock) set(t time.Time)     { c.nanos.Store(t.UnixNano()) }
func (c *atomicClock) add(d time.Duration) { c.nanos.Add(int64(d)) }

// tpFixture is an emulator with throughput enforcement on an injected clock, and a client
// that does not retry 429s, so every throttle is visible.
type tpFixture struct {
	t      *testing.T
	srv    *Server
	clock  *atomicClock
	client *azcosmos.Client
	db     *azcosmos.DatabaseClient
}

func newTPFixture(t *testing.T, cfg ThroughputConfig) *tpFixture {
	t.Helper()
	clock := newAtomicClock(tpEpoch.Add(100 * time.Millisecond))
	srv, err := Start(context.Background(), Config{Throughput: &cfg, Clock: clock.now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, &azcosmos.ClientOptions{
		ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}},
	})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	return &tpFixture{t: t, srv: srv, clock: clock, client: client, db: db}
}

func (f *tpFixture) container(id string, tp azcosmos.ThroughputProperties) *azcosmos.ContainerClient {
	f.t.Helper()
	_, err := f.db.CreateContainer(context.Background(), azcosmos.ContainerProperties{
		ID:                     id,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}, Version: 2},
	}, &azcosmos.CreateContainerOptions{ThroughputProperties: &tp})
	require.NoError(f.t, err)
	c, err := f.db.NewContainer(id)
	require.NoError(f.t, err)
	return c
}

func doc(id, pk string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"pk":%q,"payload":"%0200d"}`, id, pk, 7)
}

// writeUntilThrottled creates documents under pk until one gets 429 and returns that error.
func (f *tpFixture) writeUntilThrottled(c *azcosmos.ContainerClient, prefix, pk string) error {
	f.t.Helper()
	for i := range 100_000 {
		_, err := c.CreateItem(context.Background(), azcosmos.NewPartitionKeyString(pk),
			doc(fmt.Sprintf("%s-%d", prefix, i), pk), nil)
		if err != nil {
			return err
		}
	}
	f.t.Fatal("never throttled")
	return nil
}

func (f *tpFixture) second(container string, at time.Time) throughput.ContainerSecond {
	f.t.Helper()
	from := at.Truncate(time.Second)
	var found *throughput.ContainerSecond
	for _, s := range f.srv.Throughput().Seconds(from, from.Add(time.Second)) {
		if s.Container == container {
			found = &s // the last one: a container recreated under the name
		}
	}
	if found == nil {
		f.t.Fatalf("no accounting for %q at %v", container, from)
	}
	return *found
}

func require429(t *testing.T, err error) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	require.True(t, errors.As(err, &re), "want a response error, got %v", err)
	require.Equal(t, http.StatusTooManyRequests, re.StatusCode)
	require.Equal(t, "3200", re.RawResponse.Header.Get("x-ms-substatus"))
	return re
}

func TestThroughput_ContainerAt400GetsThrottledWithinBudgetEverySecond(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{})
	c := f.container("c", azcosmos.NewManualThroughputProperties(400))
	for sec := range 3 {
		at := tpEpoch.Add(time.Duration(sec)*time.Second + 100*time.Millisecond)
		f.clock.set(at)
		re := require429(t, f.writeUntilThrottled(c, fmt.Sprint("s", sec), "a"))
		wait, err := strconv.Atoi(re.RawResponse.Header.Get("x-ms-retry-after-ms"))
		require.NoError(t, err)
		require.Equal(t, 900, wait, "the budget refills at the next second")

		s := f.second("c", at)
		require.InDelta(t, 400, s.ConsumedRU, 400*0.05, "second %d", sec)
		require.Equal(t, int64(1), s.Throttled)
		require.Equal(t, 400.0, s.ProvisionedRU)
	}
}

func TestThroughput_RaisingThroughputLiftsTheLimitAtOnce(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{})
	c := f.container("c", azcosmos.NewManualThroughputProperties(400))
	ctx := context.Background()
	require429(t, f.writeUntilThrottled(c, "x", "a"))

	resp, err := c.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(4_000), nil)
	require.NoError(t, err)
	require.False(t, resp.IsReplacePending)
	ru, ok := resp.ThroughputProperties.ManualThroughput()
	require.True(t, ok)
	require.Equal(t, int32(4_000), ru)

	_, err = c.CreateItem(ctx, azcosmos.NewPartitionKeyString("a"), doc("after", "a"), nil)
	require.NoError(t, err, "the same second now has room")

	read, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	ru, _ = read.ThroughputProperties.ManualThroughput()
	require.Equal(t, int32(4_000), ru)
	require.Equal(t, int32(400), *read.MinThroughput)
}

func TestThroughput_OfferValidationThroughTheSDK(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{})
	ctx := context.Background()
	_, err := f.db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "bad",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}},
		&azcosmos.CreateContainerOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(450))})
	require.Equal(t, http.StatusBadRequest, statusCode(err))
	require.ErrorContains(t, err, "not a multiple of 100")

	c := f.container("c", azcosmos.NewAutoscaleThroughputProperties(4_000))
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewAutoscaleThroughputProperties(2_500), nil)
	require.Equal(t, http.StatusBadRequest, statusCode(err))
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(300), nil)
	require.ErrorContains(t, err, "below the minimum of 400")

	read, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	tmax, ok := read.ThroughputProperties.AutoscaleMaxThroughput()
	require.True(t, ok)
	require.Equal(t, int32(4_000), tmax)
	_, isManual := read.ThroughputProperties.ManualThroughput()
	require.False(t, isManual)
}

func ptr[T any](v T) *T { return &v }

func statusCode(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func TestThroughput_AutoscaleScalesWithinRangeAndBillsHourlyPeak(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{
		Engine: throughput.Config{HourLength: 10 * time.Second}})
	c := f.container("auto", azcosmos.NewAutoscaleThroughputProperties(4_000))
	ctx := context.Background()

	// Second 0 (hour 0): 100 writes; second 20 (hour 2): past the maximum, throttled.
	for i := range 100 {
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("a"),
			doc(fmt.Sprint("w", i), "a"), nil)
		require.NoError(t, err)
	}
	busy := f.second("auto", f.clock.now())
	require.Greater(t, busy.ProvisionedRU, 400.0)
	require.Less(t, busy.ProvisionedRU, 4_000.0)
	require.Equal(t, 0.0, float64(int(busy.ProvisionedRU)%100), "scales in steps of 100")
	require.GreaterOrEqual(t, busy.ProvisionedRU, busy.ConsumedRU)

	f.clock.set(tpEpoch.Add(20*time.Second + 100*time.Millisecond))
	require429(t, f.writeUntilThrottled(c, "peak", "a"))
	peak := f.second("auto", f.clock.now())
	require.Equal(t, 4_000.0, peak.ProvisionedRU)
	require.InDelta(t, 4_000, peak.ConsumedRU, 200)

	idle := f.second("auto", tpEpoch.Add(12*time.Second))
	require.Equal(t, 400.0, idle.ProvisionedRU, "idle autoscale stays at 10% of the maximum")

	var bill throughput.Bill
	for _, b := range f.srv.Throughput().Bills(f.clock.now()) {
		if b.Target.Container == "auto" {
			bill = b
		}
	}
	require.Len(t, bill.Hours, 3)
	require.Equal(t, int(busy.ProvisionedRU), bill.Hours[0].BilledRU)
	require.Equal(t, 400, bill.Hours[1].BilledRU)
	require.Equal(t, 4_000, bill.Hours[2].BilledRU)
	want := (busy.ProvisionedRU + 400 + 4_000) / 100 * throughput.DefaultPrices.Autoscale
	require.InDelta(t, want, bill.Cost, 1e-9)
}

func TestThroughput_HotKeyThrottlesAlone(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{})
	c := f.container("hot", azcosmos.NewManualThroughputProperties(20_000))
	ctx := context.Background()
	ranges, err := c.ReadFeedRanges(ctx, nil)
	require.NoError(t, err)
	require.Len(t, ranges, 4, "20,000 RU/s manual starts with RU/6,000 partitions")

	require429(t, f.writeUntilThrottled(c, "h", "hot-key"))
	s := f.second("hot", f.clock.now())
	require.Less(t, s.ConsumedRU, 20_000*0.3, "the container is far under its RU/s")
	throttledParts := 0
	for _, p := range s.Partitions {
		if p.Throttled > 0 {
			throttledParts++
			require.InDelta(t, 5_000, p.ConsumedRU, 5_000*0.05, "one partition's share")
		}
	}
	require.Equal(t, 1, throttledParts)

	cold := "cold-0"
	for i := 1; f.srv.mustPartitionOf(t, "hot", cold) == f.srv.mustPartitionOf(t, "hot", "hot-key"); i++ {
		cold = fmt.Sprint("cold-", i)
	}
	_, err = c.CreateItem(ctx, azcosmos.NewPartitionKeyString(cold), doc("c", cold), nil)
	require.NoError(t, err, "keys on other partitions are served")
}

// mustPartitionOf is the range id that owns a string partition key in container id.
func (s *Server) mustPartitionOf(t *testing.T, id, pk string) string {
	t.Helper()
	c, err := s.store.container("db", id)
	require.NoError(t, err)
	return c.partitionFor(newPartitionKey([]any{pk})).rangeID
}

// sharedDatabase creates a database with ru RU/s of shared manual throughput and
// containers (partition key /pk) that share it.
func (f *tpFixture) sharedDatabase(id string, ru int32, containers ...string) *azcosmos.DatabaseClient {
	f.t.Helper()
	ctx := context.Background()
	_, err := f.client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: id},
		&azcosmos.CreateDatabaseOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(ru))})
	require.NoError(f.t, err)
	db, err := f.client.NewDatabase(id)
	require.NoError(f.t, err)
	for _, c := range containers {
		_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: c,
			PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil)
		require.NoError(f.t, err)
	}
	return db
}

func TestThroughput_SharedDatabaseOffer(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{})
	ctx := context.Background()
	db := f.sharedDatabase("shared", 800, "a", "b")
	read, err := db.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	ru, _ := read.ThroughputProperties.ManualThroughput()
	require.Equal(t, int32(800), ru)

	a, err := db.NewContainer("a")
	require.NoError(t, err)
	_, err = a.ReadThroughput(ctx, nil)
	require.Equal(t, http.StatusNotFound, statusCode(err), "a sharing container has no offer")

	require429(t, f.writeUntilThrottled(a, "x", "k"))
	s := f.second("a", f.clock.now())
	require.InDelta(t, 400, s.ConsumedRU, 400*0.05, "two containers share 800 RU/s")
	require.True(t, s.Shared)
}

func TestThroughput_MetricsEndpoint(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{})
	c := f.container("c", azcosmos.NewManualThroughputProperties(400))
	require429(t, f.writeUntilThrottled(c, "m", "a"))
	resp, err := http.Get(f.srv.Endpoint() + "metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body),
		`stampede_emulator_throttled_requests_total{container="c",database="db",partition="0"} 1`)
}

func TestThroughput_OffByDefault(t *testing.T) {
	srv, err := Start(context.Background(), Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, &azcosmos.ClientOptions{
		ClientOptions: azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, _ := client.NewDatabase("db")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}},
		&azcosmos.CreateContainerOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(400))})
	require.NoError(t, err)
	c, _ := db.NewContainer("c")
	for i := range 200 { // about 2,600 RU in well under a second: no 429 without enforcement
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("a"),
			doc(fmt.Sprint(i), "a"), nil)
		require.NoError(t, err)
	}
	read, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err, "offers are served without enforcement too")
	ru, _ := read.ThroughputProperties.ManualThroughput()
	require.Equal(t, int32(400), ru)
}

func TestThroughput_DeletedResourcesStopBilling(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{MaintenanceInterval: time.Hour})
	ctx := context.Background()
	_, err := f.client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "tenant"},
		&azcosmos.CreateDatabaseOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(400))})
	require.NoError(t, err)
	c := f.container("c", azcosmos.NewManualThroughputProperties(400))
	f.srv.maintainThroughput(f.clock.now())

	tenant, err := f.client.NewDatabase("tenant")
	require.NoError(t, err)
	_, err = tenant.Delete(ctx, nil)
	require.NoError(t, err)
	_, err = c.Delete(ctx, nil)
	require.NoError(t, err)
	f.srv.maintainThroughput(f.clock.now())

	f.clock.add(3 * time.Hour)
	checked := 0
	for _, b := range f.srv.Throughput().Bills(f.clock.now()) {
		if b.Target.Database == "tenant" || b.Target.Container == "c" {
			require.Len(t, b.Hours, 1, "%v billed after its deletion", b.Target)
			checked++
		}
	}
	require.Equal(t, 2, checked, "both deleted resources keep their bills")
}

// TestThroughput_RealClockWithSDKRetries runs the SDK with its default 429 retries against
// the wall clock: no whole second of the run consumes more than 5% over the 400 RU/s
// budget, and on average the load uses it. (The per-second lower bound is asserted on the
// injected clock above, where the test, not the machine's load, paces the requests.)
func TestThroughput_RealClockWithSDKRetries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 3 s of wall clock")
	}
	srv, err := Start(context.Background(), Config{Throughput: &ThroughputConfig{}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, _ := client.NewDatabase("db")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}},
		&azcosmos.CreateContainerOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(400))})
	require.NoError(t, err)
	c, _ := db.NewContainer("c")

	start := time.Now()
	end := start.Add(3200 * time.Millisecond)
	var written, gaveUp atomic.Int64
	done := make(chan struct{})
	for w := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; time.Now().Before(end); i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(id), doc(id, id), nil)
				switch {
				case err == nil:
					written.Add(1)
				case statusCode(err) == http.StatusTooManyRequests:
					gaveUp.Add(1)
				default:
					t.Error(err)
					return
				}
			}
		}()
	}
	for range 8 {
		<-done
	}
	require.Positive(t, written.Load())
	first := start.Truncate(time.Second).Add(time.Second)
	seconds := srv.Throughput().Seconds(first, end.Truncate(time.Second))
	require.GreaterOrEqual(t, len(seconds), 2)
	total, throttled := 0.0, int64(0)
	for _, s := range seconds {
		require.LessOrEqual(t, s.ConsumedRU, 400*1.05, "second %v", s.Time)
		total += s.ConsumedRU
		throttled += s.Throttled
	}
	require.InDelta(t, 400, total/float64(len(seconds)), 400*0.1)
	require.Positive(t, throttled)
}

func TestThroughput_RecreatedContainerKeepsItsOffer(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{MaintenanceInterval: time.Hour})
	ctx := context.Background()
	old := f.container("c", azcosmos.NewManualThroughputProperties(400))
	_, err := old.Delete(ctx, nil)
	require.NoError(t, err)
	c := f.container("c", azcosmos.NewManualThroughputProperties(1_000))
	f.srv.maintainThroughput(f.clock.now()) // notices the old container's deletion

	read, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	ru, _ := read.ThroughputProperties.ManualThroughput()
	require.Equal(t, int32(1_000), ru)
	require429(t, f.writeUntilThrottled(c, "x", "a"))
	require.InDelta(t, 1_000, f.second("c", f.clock.now()).ConsumedRU, 50)
}

func TestThroughput_OfferRecordedInMetadataIsApplied(t *testing.T) {
	f := newTPFixture(t, ThroughputConfig{MaintenanceInterval: time.Hour})
	c := f.container("c", azcosmos.NewManualThroughputProperties(400))
	ctx := context.Background()
	// What region mirroring or a restart does: the store's metadata holds another offer.
	f.srv.recordOffer(throughput.Target{Database: "db", Container: "c"},
		throughput.Autoscale(6_000))
	f.srv.maintainThroughput(f.clock.now())
	read, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	tmax, ok := read.ThroughputProperties.AutoscaleMaxThroughput()
	require.True(t, ok)
	require.Equal(t, int32(6_000), tmax)

	// A replacement through the SDK is recorded too, so reconciling keeps it.
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(800), nil)
	require.NoError(t, err)
	f.srv.maintainThroughput(f.clock.now())
	read, err = c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	ru, _ := read.ThroughputProperties.ManualThroughput()
	require.Equal(t, int32(800), ru)
}
