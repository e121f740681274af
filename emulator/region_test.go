package emulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// startRegions starts an account on loopback for one test.
func startRegions(t *testing.T, rc RegionsConfig) *Account {
	t.Helper()
	a, err := StartAccount(context.Background(), Config{}, rc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// regionClient is an SDK client of the account endpoint with PreferredRegions; retries
// of 429 are off so throttling reaches the test.
func regionClient(t *testing.T, a *Account, preferred ...string) *azcosmos.Client {
	t.Helper()
	cred, err := azcosmos.NewKeyCredential(a.Key())
	require.NoError(t, err)
	opts := &azcosmos.ClientOptions{PreferredRegions: preferred}
	opts.Retry = policy.RetryOptions{MaxRetries: -1}
	opts.Transport = &http.Client{Timeout: 20 * time.Second}
	c, err := azcosmos.NewClientWithKey(a.Endpoint(), cred, opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// regionContainer creates database "db" and container "c" (pk /pk) through client.
func regionContainer(t *testing.T, client *azcosmos.Client) *azcosmos.ContainerClient {
	t.Helper()
	ctx := testCtx(t)
	_, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil)
	require.NoError(t, err)
	c, err := client.NewContainer("db", "c")
	require.NoError(t, err)
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func docJSON(id string, n int) []byte {
	return []byte(`{"id":"` + id + `","pk":"p","n":` + strconv.Itoa(n) + `}`)
}

// readN reads a document's n through c, or -1 when it does not exist.
func readN(t *testing.T, c *azcosmos.ContainerClient, id string, o *azcosmos.ItemOptions) int {
	t.Helper()
	resp, err := c.ReadItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), id, o)
	if status(err) == http.StatusNotFound {
		return -1
	}
	require.NoError(t, err)
	var doc struct{ N int }
	require.NoError(t, json.Unmarshal(resp.Value, &doc))
	return doc.N
}

func status(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func TestAccountDocumentFollowsWriteRegion(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"West US 2", "East US 2", "North Europe"}})
	c := regionContainer(t, regionClient(t, a))
	_, err := c.CreateItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), docJSON("a", 1), nil)
	require.NoError(t, err)

	doc := accountDocument(t, a)
	require.Equal(t, []string{"West US 2"}, names(doc.Writable))
	require.Equal(t, []string{"West US 2", "East US 2", "North Europe"}, names(doc.Readable))
	require.Equal(t, a.RegionEndpoint("eastus2"), doc.Readable[1].Endpoint)

	require.NoError(t, a.Failover(testCtx(t), "eastus2"))
	doc = accountDocument(t, a)
	require.Equal(t, []string{"East US 2"}, names(doc.Writable))
	require.Equal(t, []string{"East US 2", "West US 2", "North Europe"}, names(doc.Readable))
	require.Equal(t, "East US 2", a.WriteRegion())
	require.Empty(t, a.Report().LostWrites, "a planned failover loses nothing")
}

type accountDoc struct {
	Writable []accountLocation `json:"writableLocations"`
	Readable []accountLocation `json:"readableLocations"`
}

func names(locs []accountLocation) []string {
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = l.Name
	}
	return out
}

// accountDocument reads GET / of the account endpoint, signed with the key.
func accountDocument(t *testing.T, a *Account) accountDoc {
	t.Helper()
	rc := &rawClient{t: t, key: mustKey(t, a.Key())}
	req, err := http.NewRequest(http.MethodGet, a.Endpoint(), nil)
	require.NoError(t, err)
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set(hdrDate, date)
	req.Header.Set("Authorization", rc.sign(http.MethodGet, "/", date))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc accountDoc
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	return doc
}

func TestLaggingRegionReadsAsTheLevelAllows(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"},
		Lag: Lag{Distribution: LagFixed, Min: 2 * time.Second}}) // long enough under load
	writer := regionContainer(t, regionClient(t, a, "A", "B"))
	reader, err := regionClient(t, a, "B", "A").NewContainer("db", "c")
	require.NoError(t, err)
	pk := azcosmos.NewPartitionKeyString("p")
	resp, err := writer.CreateItem(testCtx(t), pk, docJSON("x", 1), nil)
	require.NoError(t, err)
	token := *resp.SessionToken

	eventual := &azcosmos.ItemOptions{ConsistencyLevel: azcosmos.ConsistencyLevelEventual.ToPtr()}
	require.Equal(t, -1, readN(t, reader, "x", eventual), "B has not applied the write yet")
	// With the session token, B answers 404/1002 and the SDK retries in the write region.
	require.Equal(t, 1, readN(t, reader, "x", &azcosmos.ItemOptions{SessionToken: &token}))
	require.Eventually(t, func() bool { return readN(t, reader, "x", eventual) == 1 },
		10*time.Second, 20*time.Millisecond)
}

func TestStrongWritesWaitForEveryRegion(t *testing.T) {
	lag := 300 * time.Millisecond
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B", "C"}, Consistency: Strong,
		Lag: Lag{Min: lag}})
	writer := regionContainer(t, regionClient(t, a, "A"))
	reader, err := regionClient(t, a, "C").NewContainer("db", "c")
	require.NoError(t, err)
	start := time.Now()
	pk := azcosmos.NewPartitionKeyString("p")
	_, err = writer.CreateItem(testCtx(t), pk, docJSON("s", 7), nil)
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), lag, "acknowledged before replication")
	require.Equal(t, 7, readN(t, reader, "s", nil), "a strong read in C sees the write")
}

func TestBoundedStalenessThrottlesWritesPastK(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"},
		Consistency: BoundedStaleness, MaxStalenessPrefix: 3, Lag: Lag{Min: time.Hour}})
	c := regionContainer(t, regionClient(t, a, "A"))
	pk := azcosmos.NewPartitionKeyString("p")
	for i := range 3 {
		_, err := c.CreateItem(testCtx(t), pk, docJSON("k"+strconv.Itoa(i), i), nil)
		require.NoError(t, err)
	}
	_, err := c.CreateItem(testCtx(t), pk, docJSON("k3", 3), nil)
	require.Equal(t, http.StatusTooManyRequests, status(err), "B is K writes behind: %v", err)
}

func TestLagValidationAndParsing(t *testing.T) {
	tests := []struct {
		in      string
		want    Lag
		wantErr string
	}{
		{in: "50ms", want: Lag{Distribution: LagFixed, Min: 50 * time.Millisecond}},
		{in: "uniform:20ms-80ms", want: Lag{Distribution: LagUniform, Min: 20 * time.Millisecond,
			Max: 80 * time.Millisecond}},
		{in: "exponential:50ms", want: Lag{Distribution: LagExponential,
			Min: 50 * time.Millisecond}},
		{in: "uniform:80ms-20ms", wantErr: "min <= max"},
		{in: "gamma:1s", wantErr: "want fixed, uniform or exponential"},
		{in: "soon", wantErr: "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLag(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestLagSourceStaysInRange(t *testing.T) {
	src := newLagSource(Lag{Distribution: LagUniform, Min: 10, Max: 20, Seed: 1}, 0)
	exp := newLagSource(Lag{Distribution: LagExponential, Min: 10, Max: 40, Seed: 1}, 0)
	for range 1000 {
		require.InDelta(t, 15, float64(src.next()), 5)
		require.LessOrEqual(t, exp.next(), time.Duration(40))
	}
}

func TestRegionsConfigValidate(t *testing.T) {
	err := RegionsConfig{Regions: []string{"West US", "westus", ""}, Addrs: []string{"x"},
		Consistency: "Linear"}.Validate()
	require.ErrorContains(t, err, `regions[1] "westus": listed twice`)
	require.ErrorContains(t, err, "regions[2]: empty region name")
	require.ErrorContains(t, err, "addrs: 1 given for 3 regions")
	require.ErrorContains(t, err, `consistency "Linear"`)
	require.NoError(t, RegionsConfig{Regions: []string{"a"}}.Validate())
	require.NoError(t, RegionsConfig{Regions: []string{"a", "b"}, MultiRegionWrites: true,
		DataDir: "x"}.Validate(), "a data dir works with multi-region writes")
}

func mustKey(t testing.TB, key string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(key)
	require.NoError(t, err)
	return b
}

// TestOffersReachEveryRegion checks that throughput is provisioned per region: each
// region's server enforces its own budget, and an offer replaced in the write region is
// mirrored into the others.
func TestOffersReachEveryRegion(t *testing.T) {
	a, err := StartAccount(context.Background(), Config{Throughput: &ThroughputConfig{}},
		RegionsConfig{Regions: []string{"A", "B"}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	client := regionClient(t, a, "A")
	ctx := testCtx(t)
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}},
		&azcosmos.CreateContainerOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(400))})
	require.NoError(t, err)
	c, err := client.NewContainer("db", "c")
	require.NoError(t, err)
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(1000), nil)
	require.NoError(t, err)

	target := throughputTarget("db", "c")
	for _, g := range a.regions {
		if g != a.regions[0] {
			require.NotSame(t, a.regions[0].srv.Throughput(), g.srv.Throughput(), "per region")
		}
		require.Eventually(t, func() bool {
			info, err := g.srv.Throughput().Offer(target)
			return err == nil && info.Offer.Throughput == 1000
		}, 5*time.Second, 20*time.Millisecond, "region %s", g.name)
	}
}

func throughputTarget(db, coll string) throughput.Target {
	return throughput.Target{Database: db, Container: coll}
}

// TestReplicaMirrorsSplits splits a partition in the write region and checks that the
// replica splits the same way when the first write to a new range reaches it, so ranges
// and LSNs (session tokens, etags) match across regions.
func TestReplicaMirrorsSplits(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}})
	c := regionContainer(t, regionClient(t, a, "A"))
	ctx := testCtx(t)
	for i := range 20 {
		doc := []byte(`{"id":"d` + strconv.Itoa(i) + `","pk":"k` + strconv.Itoa(i) + `"}`)
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("k"+strconv.Itoa(i)), doc, nil)
		require.NoError(t, err)
	}
	src, err := a.regions[0].srv.store.container("db", "c")
	require.NoError(t, err)
	_, err = src.splitPartition(src.partitions()[0])
	require.NoError(t, err)
	for i := range 20 {
		doc := []byte(`{"id":"e` + strconv.Itoa(i) + `","pk":"k` + strconv.Itoa(i) + `"}`)
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("k"+strconv.Itoa(i)), doc, nil)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return a.replicatedEverywhere(a.repl.current()) },
		5*time.Second, 5*time.Millisecond)
	replica, err := a.regions[1].srv.store.container("db", "c")
	require.NoError(t, err)
	requireSameLayout(t, src, replica, 2)
}

// requireSameLayout checks that replica has n partitions with src's ranges, LSNs and
// document counts.
func requireSameLayout(t *testing.T, src, replica *container, n int) {
	t.Helper()
	require.Len(t, replica.partitions(), n)
	for i, sp := range src.partitions() {
		rp := replica.partitions()[i]
		require.Equal(t, sp.rangeID, rp.rangeID)
		require.Equal(t, sp.lsn, rp.lsn, "range %s", sp.rangeID)
		require.Equal(t, len(sp.items), len(rp.items), "range %s", sp.rangeID)
	}
}

// TestAccountConsistencyPricesReads checks that an account's default consistency reaches
// each region's RU model: a point read costs twice as much under Strong and Bounded
// Staleness as under Session, and a request that relaxes the level pays the single rate.
func TestAccountConsistencyPricesReads(t *testing.T) {
	charge := func(t *testing.T, level Consistency, o *azcosmos.ItemOptions) float32 {
		a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}, Consistency: level})
		c := regionContainer(t, regionClient(t, a, "A"))
		_, err := c.CreateItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), docJSON("d", 1),
			nil)
		require.NoError(t, err)
		resp, err := c.ReadItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), "d", o)
		require.NoError(t, err)
		return resp.RequestCharge
	}
	session := charge(t, Session, nil)
	require.Positive(t, session)
	require.InDelta(t, 2*session, charge(t, Strong, nil), 0.01, "strong")
	require.InDelta(t, 2*session, charge(t, BoundedStaleness, nil), 0.01, "bounded staleness")
	relaxed := &azcosmos.ItemOptions{ConsistencyLevel: azcosmos.ConsistencyLevelEventual.ToPtr()}
	require.InDelta(t, session, charge(t, Strong, relaxed), 0.01, "strong account, eventual read")
}

// TestReplicaDoesNotPlanItsOwnSplits raises a container's throughput past one partition in
// a two-region account and runs the replica's maintenance first: the replica must keep its
// layout until the write region splits, then mirror that split (same ranges, same
// documents) and put the raised offer in force on its engine.
func TestReplicaDoesNotPlanItsOwnSplits(t *testing.T) {
	a, err := StartAccount(context.Background(), Config{Throughput: &ThroughputConfig{
		SplitDelay: -1, MaintenanceInterval: time.Hour}}, RegionsConfig{Regions: []string{"A", "B"}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	c := regionContainer(t, regionClient(t, a, "A"))
	ctx := testCtx(t)
	write := func(prefix string) {
		for i := range 20 {
			id, pk := prefix+strconv.Itoa(i), "k"+strconv.Itoa(i)
			_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(pk),
				[]byte(`{"id":"`+id+`","pk":"`+pk+`"}`), nil)
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return a.replicatedEverywhere(a.repl.current()) },
			5*time.Second, 5*time.Millisecond)
	}
	write("d")
	writer, replica := a.regions[0].srv, a.regions[1].srv
	replica.maintainThroughput(time.Now()) // the replica's engine knows the container
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(20_000), nil)
	require.NoError(t, err)
	for range 3 {
		replica.maintainThroughput(time.Now())
	}
	rc, err := replica.store.container("db", "c")
	require.NoError(t, err)
	require.Len(t, rc.partitions(), 1, "the replica split on its own")

	for range 3 {
		writer.maintainThroughput(time.Now())
	}
	wc, err := writer.store.container("db", "c")
	require.NoError(t, err)
	require.Len(t, wc.partitions(), 2)
	write("e")
	replica.maintainThroughput(time.Now())
	requireSameLayout(t, wc, rc, 2)
	info, err := replica.Throughput().Offer(throughputTarget("db", "c"))
	require.NoError(t, err)
	require.Equal(t, 20_000, info.Offer.Throughput)
	require.Nil(t, info.Pending)
	require.Equal(t, 2, info.Partitions)
}
