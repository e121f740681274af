package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// drillSetup writes kept (replicated) and then unreplicated documents: replication runs
// at no lag for the first, then is held back so the second stay in the write region.
func drillSetup(t *testing.T, a *Account, c *azcosmos.ContainerClient, kept, lost int) []string {
	t.Helper()
	pk := azcosmos.NewPartitionKeyString("p")
	for i := range kept {
		_, err := c.CreateItem(testCtx(t), pk, docJSON("kept-"+strconv.Itoa(i), i), nil)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return a.replicatedEverywhere(a.repl.current()) },
		5*time.Second, 5*time.Millisecond)
	for _, g := range a.regions {
		g.in.mu.Lock()
		g.in.lag = newLagSource(Lag{Min: time.Hour}, 0)
		g.in.mu.Unlock()
	}
	var ids []string
	for i := range lost {
		id := "lost-" + strconv.Itoa(i)
		_, err := c.CreateItem(testCtx(t), pk, docJSON(id, i), nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

func lostIDs(r DrillReport) []string {
	var ids []string
	for _, lw := range r.LostWrites {
		ids = append(ids, lw.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestFailoverDrill503 stages a write-region outage answered with 503s and a forced manual
// failover: writes resume in the new region, reads move, and the report lists exactly the
// writes that were lost.
func TestFailoverDrill503(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"East US", "West US"}})
	client := regionClient(t, a, "East US", "West US")
	c := regionContainer(t, client)
	lost := drillSetup(t, a, c, 3, 4)

	require.NoError(t, a.RegionDown(testCtx(t), "East US", Outage503))
	require.NoError(t, a.Failover(testCtx(t), "West US"))
	require.Equal(t, "West US", a.WriteRegion())

	// East answers the write 403/3 now that it lost the write role; the SDK refreshes the
	// account and retries in West.
	start := time.Now()
	pk := azcosmos.NewPartitionKeyString("p")
	_, err := c.CreateItem(testCtx(t), pk, docJSON("after", 9), nil)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 10*time.Second)

	// Reads: East answers 503 and the SDK moves to West, where the lost writes are gone.
	require.Equal(t, 9, readN(t, c, "after", nil))
	require.Equal(t, 2, readN(t, c, "kept-2", nil))
	require.Equal(t, -1, readN(t, c, "lost-0", nil))

	r := a.Report()
	require.Equal(t, lost, lostIDs(r))
	require.Equal(t, 4, r.LostAcknowledged)
	for _, lw := range r.LostWrites {
		require.Equal(t, "East US", lw.Region)
		require.Equal(t, "West US", lw.LostTo)
		require.Equal(t, "create", lw.Op)
		require.Positive(t, lw.AgeAtOutage)
	}
	kinds := []string{}
	for _, e := range r.Events {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, []string{EventRegionDown, EventFailover, EventWritesResumed}, kinds)
	require.True(t, r.Events[1].Forced)
	require.Equal(t, 4, r.Events[1].Lost)
	// The RTO's end: the first write West acknowledged, after the failover and no later than
	// the client saw its answer.
	resumed := r.Events[2]
	require.Equal(t, "West US", resumed.Region)
	require.False(t, resumed.At.Before(r.Events[1].At))
	require.False(t, resumed.At.After(time.Now()))
	require.InDelta(t, millis(resumed.At.Sub(r.Events[1].At)), resumed.DownFor, 1)

	// East comes back as a read region without its lost writes.
	require.NoError(t, a.RegionUp(testCtx(t), "East US"))
	east, err := regionClient(t, a, "East US").NewContainer("db", "c")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return readN(t, east, "after", nil) == 9 },
		5*time.Second, 10*time.Millisecond)
	require.Equal(t, -1, readN(t, east, "lost-1", nil))
}

// TestFailoverDrillRefusedServiceManaged stages an outage with refused connections and lets
// the emulator fail over by itself after the detection delay.
func TestFailoverDrillRefusedServiceManaged(t *testing.T) {
	if testing.Short() {
		t.Skip("the SDK spends seconds on refused connections before it moves")
	}
	a := startRegions(t, RegionsConfig{Regions: []string{"East US", "West US"},
		ServiceManagedFailover: true, FailoverDelay: 300 * time.Millisecond})
	c := regionContainer(t, regionClient(t, a, "East US", "West US"))
	lost := drillSetup(t, a, c, 2, 3)

	require.NoError(t, a.RegionDown(testCtx(t), "East US", OutageRefuse))
	require.Eventually(t, func() bool { return a.WriteRegion() == "West US" },
		5*time.Second, 10*time.Millisecond)

	// The first write fails on the refused connection and marks East; a later one follows
	// the refreshed account to West.
	pk := azcosmos.NewPartitionKeyString("p")
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err = c.UpsertItem(testCtx(t), pk, docJSON("after", 5), nil); err == nil {
			break
		}
	}
	require.NoError(t, err)
	require.Equal(t, 5, readN(t, c, "after", nil))

	r := a.Report()
	require.Equal(t, lost, lostIDs(r))
	ev := r.Events[len(r.Events)-2]
	require.Equal(t, EventFailover, ev.Kind)
	require.Equal(t, EventWritesResumed, r.Events[len(r.Events)-1].Kind)
	require.Equal(t, "service-managed", ev.How)
	require.GreaterOrEqual(t, ev.DownFor, 300.0)
}

func TestPlannedFailoverLosesNothing(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"},
		Lag: Lag{Min: 200 * time.Millisecond}})
	c := regionContainer(t, regionClient(t, a, "A", "B"))
	pk := azcosmos.NewPartitionKeyString("p")
	for i := range 5 {
		_, err := c.CreateItem(testCtx(t), pk, docJSON("d"+strconv.Itoa(i), i), nil)
		require.NoError(t, err)
	}
	require.NoError(t, a.Failover(testCtx(t), "B"))
	r := a.Report()
	require.Empty(t, r.LostWrites)
	require.Equal(t, []string{"read", "write"}, []string{r.Regions[0].Role, r.Regions[1].Role})
	require.Equal(t, []bool{false, true}, []bool{r.Regions[0].Writes, r.Regions[1].Writes})
	b, err := regionClient(t, a, "B").NewContainer("db", "c")
	require.NoError(t, err)
	require.Equal(t, 4, readN(t, b, "d4", nil), "B caught up before taking writes")
	_, err = c.CreateItem(testCtx(t), pk, docJSON("on-b", 1), nil)
	require.NoError(t, err, "the SDK follows 403/3 to the new write region")
	require.Equal(t, 1, readN(t, b, "on-b", nil))

	_, err = c.CreateItem(testCtx(t), pk, docJSON("on-b-2", 2), nil)
	require.NoError(t, err)
	var resumed []DrillEvent
	for _, e := range a.Report().Events {
		if e.Kind == EventWritesResumed {
			resumed = append(resumed, e)
		}
	}
	require.Len(t, resumed, 1, "only the first write after the failover ends the outage")
	require.Equal(t, "B", resumed[0].Region)
}

func TestControlAPI(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}})
	ctx := testCtx(t)
	bad, err := NewControlClient(a.Endpoint(), "d3Jvbmc=", nil)
	require.NoError(t, err)
	require.ErrorContains(t, bad.RegionDown(ctx, "A", Outage503), "401")

	cc, err := NewControlClient(a.Endpoint(), a.Key(), nil)
	require.NoError(t, err)
	require.ErrorContains(t, cc.RegionDown(ctx, "Z", Outage503), "404")
	require.ErrorContains(t, cc.RegionDown(ctx, "A", "flaky"), "400")
	require.NoError(t, cc.RegionDown(ctx, "B", OutageTimeout))
	regions, err := cc.Regions(ctx)
	require.NoError(t, err)
	require.True(t, regions[1].Down)
	require.Equal(t, OutageTimeout, regions[1].Mode)
	require.ErrorContains(t, cc.Failover(ctx, "B"), "409")
	require.NoError(t, cc.RegionUp(ctx, "B"))
	require.NoError(t, cc.Failover(ctx, "b"))
	report, err := cc.Report(ctx)
	require.NoError(t, err)
	require.Equal(t, "B", report.WriteRegion)
	require.Len(t, report.Events, 3)

	// A region in refuse mode refuses connections and gets its port back.
	require.NoError(t, a.RegionDown(ctx, "A", OutageRefuse))
	_, err = http.Get(a.RegionEndpoint("A"))
	require.ErrorContains(t, err, "refused")
	require.NoError(t, a.RegionUp(ctx, "A"))
	resp, err := http.Get(a.RegionEndpoint("A"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// TestTimeoutOutageHoldsRequests checks the timeout mode: a request is accepted and never
// answered, so the client's own timeout ends it, and the held connection is closed when
// the region comes back.
func TestTimeoutOutageHoldsRequests(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}})
	require.NoError(t, a.RegionDown(testCtx(t), "B", OutageTimeout))
	hc := &http.Client{Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := hc.Get(a.RegionEndpoint("B"))
	require.ErrorContains(t, err, "Client.Timeout")
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

	// A request still held when the region comes back gets its connection closed.
	done := make(chan error, 1)
	go func() {
		_, err := (&http.Client{Timeout: 10 * time.Second}).Get(a.RegionEndpoint("B"))
		done <- err
	}()
	require.Eventually(t, func() bool {
		a.regions[1].held.mu.Lock()
		defer a.regions[1].held.mu.Unlock()
		return len(a.regions[1].held.conns) == 1
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, a.RegionUp(testCtx(t), "B"))
	select {
	case <-done: // cut (or retried by the transport on a new connection, now answered)
	case <-time.After(5 * time.Second):
		t.Fatal("the held connection was not closed when the region came back")
	}
	resp, err := hc.Get(a.RegionEndpoint("B"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "B answers again")
}

// TestControlAPIMasterKeySignature signs a control request like a Cosmos DB request:
// resource type "control", resource link the path after ControlPath.
func TestControlAPIMasterKeySignature(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}})
	key := mustKey(t, a.Key())
	get := func(link string) int {
		req, err := http.NewRequest(http.MethodGet, a.Endpoint()+"_stampede/regions", nil)
		require.NoError(t, err)
		date := time.Now().UTC().Format(http.TimeFormat)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(stringToSign(http.MethodGet, route{resType: "control", resLink: link},
			date)))
		sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		req.Header.Set(hdrDate, date)
		req.Header.Set("Authorization", url.QueryEscape("type=master&ver=1.0&sig="+sig))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("regions"))
	require.Equal(t, http.StatusUnauthorized, get("report"), "signed for another resource")
}

// TestDownRegionQueueIsBounded takes a read region down while the write region takes more
// writes than the down region may queue: the queue is dropped (memory stays bounded, the
// backlog is still reported), and the region comes back resynchronised, with every write.
func TestDownRegionQueueIsBounded(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}, MaxQueuedWhileDown: 10})
	inA := regionContainer(t, regionClient(t, a, "A"))
	pk := azcosmos.NewPartitionKeyString("p")
	ctx := testCtx(t)
	_, err := inA.CreateItem(ctx, pk, docJSON("before", 1), nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return a.replicatedEverywhere(a.repl.current()) },
		5*time.Second, 5*time.Millisecond)

	require.NoError(t, a.RegionDown(ctx, "B", Outage503))
	for i := range 50 {
		_, err := inA.UpsertItem(ctx, pk, docJSON("d"+strconv.Itoa(i), i), nil)
		require.NoError(t, err)
	}
	_, err = inA.DeleteItem(ctx, pk, "before", nil)
	require.NoError(t, err)
	b := a.region("B")
	b.in.mu.Lock()
	queued, stale := len(b.in.entries), b.in.stale
	b.in.mu.Unlock()
	require.True(t, stale)
	require.LessOrEqual(t, queued, 10, "the down region's queue stays bounded")
	require.Equal(t, 51, a.Regions()[1].Behind, "the backlog counts every missed write")

	require.NoError(t, a.RegionUp(ctx, "B"))
	inB, err := regionClient(t, a, "B").NewContainer("db", "c")
	require.NoError(t, err)
	for i := range 50 {
		require.Equal(t, i, readN(t, inB, "d"+strconv.Itoa(i), nil))
	}
	require.Equal(t, -1, readN(t, inB, "before", nil))
	require.Equal(t, 0, a.Regions()[1].Behind)

	// Replication resumes.
	_, err = inA.UpsertItem(ctx, pk, docJSON("after", 7), nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return readN(t, inB, "after", nil) == 7 },
		5*time.Second, 10*time.Millisecond)
}

// A write that reaches the write region while a planned failover moves the role away is held
// until the account names the new write region, then refused with 403/3: the account read
// that refusal makes the SDK do then finds the new region (refused earlier, it would find the
// old one, and the SDK's rate-limited refreshes would keep it there for seconds).
func TestPlannedFailoverHoldsWritesUntilTheAccountMoves(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"},
		Lag: Lag{Min: 300 * time.Millisecond}})
	c := regionContainer(t, regionClient(t, a, "A", "B"))
	_, err := c.CreateItem(testCtx(t), azcosmos.NewPartitionKeyString("p"),
		docJSON("before", 1), nil)
	require.NoError(t, err)

	done := make(chan error, 1)
	go func() { done <- a.Failover(testCtx(t), "B") }()
	require.Eventually(t, func() bool { return a.switching.Load() != nil },
		5*time.Second, time.Millisecond, "the failover waits for B to catch up")

	rc := &rawClient{t: t, key: mustKey(t, a.Key())}
	w := httptest.NewRecorder()
	a.region("A").ServeHTTP(w, rc.request(http.MethodPost, "/dbs/db/colls/c/docs",
		`{"id":"held","pk":"p","n":1}`, hdrPartitionKey, `["p"]`))
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, "3", w.Header().Get("x-ms-substatus"))
	require.Equal(t, []string{"B"}, names(accountDocument(t, a).Writable),
		"when the write is refused, the account already names the new write region")
	require.NoError(t, <-done)
}
