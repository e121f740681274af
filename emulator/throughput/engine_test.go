package throughput

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := NewEngine(cfg)
	require.NoError(t, err)
	return e
}

func ref(container, rangeID string) PartitionRef {
	return PartitionRef{Database: "db", Container: container, ContainerRID: "rid-" + container,
		RangeID: rangeID}
}

func createContainer(t testing.TB, e *Engine, name string, o Offer, ranges ...string) {
	t.Helper()
	require.NoError(t, e.CreateContainer(ContainerSpec{Database: "db", Container: name,
		RID: "rid-" + name, Offer: &o, RangeIDs: ranges}, t0))
}

// serve admits and charges one request, reporting whether it was admitted.
func serve(e *Engine, r PartitionRef, now time.Time, ru float64) (time.Duration, bool) {
	wait, ok := e.Admit(r, now)
	if ok {
		e.Consume(r, now, ru)
	}
	return wait, ok
}

func TestAdmit_ThrottlesAtBudgetAndRetriesAtRefill(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	r := ref("c", "0")
	now := t0.Add(250 * time.Millisecond)
	admitted := 0
	for range 100 {
		if _, ok := serve(e, r, now, 10); ok {
			admitted++
		}
	}
	require.Equal(t, 40, admitted)

	wait, ok := e.Admit(r, now)
	require.False(t, ok)
	require.Equal(t, 750*time.Millisecond, wait, "budget refills at the next second")

	_, ok = serve(e, r, t0.Add(time.Second), 10)
	require.True(t, ok, "the next second has a fresh budget")
}

func TestAdmit_OvershootIsDebtForLaterSeconds(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	r := ref("c", "0")
	_, ok := serve(e, r, t0, 1000) // a query far larger than one second's budget
	require.True(t, ok, "an empty window admits any request")

	wait, ok := e.Admit(r, t0.Add(100*time.Millisecond))
	require.False(t, ok)
	require.Equal(t, 1900*time.Millisecond, wait, "1000 RU on 400 RU/s: free again in 2 s")

	_, ok = e.Admit(r, t0.Add(1500*time.Millisecond))
	require.False(t, ok, "600 RU of debt exceed the second second's budget")
	_, ok = serve(e, r, t0.Add(2*time.Second), 10)
	require.True(t, ok, "200 RU of debt leave room in the third second")
}

func TestAdmit_ReservesForRequestsInFlight(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	r := ref("c", "0")
	serve(e, r, t0, 10) // teaches the partition that requests cost about 10 RU
	admitted := 1
	for range 100 { // admitted but not yet charged, as concurrent requests are
		if _, ok := e.Admit(r, t0); ok {
			admitted++
		}
	}
	require.Equal(t, 40, admitted, "reservations stop admission at the budget")
}

func TestAdmit_HotPartitionThrottlesAlone(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(20_000), "0", "1", "2", "3")
	now := t0.Add(10 * time.Millisecond)
	hot, cold := ref("c", "2"), ref("c", "0")
	throttled := 0
	for range 1000 {
		if _, ok := serve(e, hot, now, 10); !ok {
			throttled++
		}
	}
	require.Equal(t, 500, throttled, "the hot partition serves its 5,000 RU/s share only")
	_, ok := serve(e, cold, now, 10)
	require.True(t, ok, "other partitions are unaffected")

	sec := secondsOf(t, e, "c", now)
	require.InDelta(t, 5010, sec.ConsumedRU, 0.001, "container well under its 20,000 RU/s")
	for _, p := range sec.Partitions {
		if p.RangeID == "2" {
			require.Equal(t, int64(500), p.Throttled)
			require.Equal(t, int64(1000), p.Requests)
		} else {
			require.Zero(t, p.Throttled)
		}
	}
}

func secondsOf(t *testing.T, e *Engine, container string, at time.Time) ContainerSecond {
	t.Helper()
	from := at.Truncate(time.Second)
	for _, s := range e.Seconds(from, from.Add(time.Second)) {
		if s.Container == container {
			return s
		}
	}
	t.Fatalf("no second %v for container %q", from, container)
	return ContainerSecond{}
}

// TestSustainedDoubleLoad is the target: at twice the provisioned RU/s for 60 s,
// consumption stays within 5% of provisioned every second and no partition exceeds its
// share.
func TestSustainedDoubleLoad(t *testing.T) {
	e := newTestEngine(t, Config{})
	const provisioned, partitions = 12_000, 3
	charge := 7.0
	createContainer(t, e, "c", Manual(provisioned), "0", "1", "2")
	share := float64(provisioned) / partitions
	perSecond := int(2 * provisioned / charge)
	step := time.Second / time.Duration(perSecond)
	for i := range 60 * perSecond {
		now := t0.Add(time.Duration(i) * step)
		serve(e, ref("c", fmt.Sprint(i%partitions)), now, charge)
	}

	seconds := e.Seconds(t0, t0.Add(60*time.Second))
	require.Len(t, seconds, 60)
	total := map[string]float64{}
	for _, s := range seconds {
		require.InDelta(t, provisioned, s.ConsumedRU, provisioned*0.05, "second %v", s.Time)
		require.Positive(t, s.Throttled)
		for _, p := range s.Partitions {
			require.LessOrEqual(t, p.ConsumedRU, share+charge, "partition %s at %v",
				p.RangeID, s.Time)
			total[p.RangeID] += p.ConsumedRU
		}
	}
	for id, ru := range total {
		require.LessOrEqual(t, ru, 60*share+charge, "partition %s over the run", id)
	}
}

// TestConcurrentLoadStaysWithinBudget drives 16 goroutines against one partition. The
// clock advances 250 µs per request, whichever goroutine makes it, so the load is ten
// times the budget however the goroutines are scheduled; reservations must keep every
// second within 5%.
func TestConcurrentLoadStaysWithinBudget(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(4_000))
	const step, total = 250 * time.Microsecond, 20_000
	var ops atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for n := ops.Add(1); n <= total; n = ops.Add(1) {
				now := t0.Add(time.Duration(n) * step)
				if _, ok := e.Admit(ref("c", "0"), now); ok {
					runtime.Gosched() // let others be admitted before this one is charged
					e.Consume(ref("c", "0"), now, 10)
				}
			}
		})
	}
	wg.Wait()

	// A goroutine that took its time in one second but reached the engine after the next
	// second began is charged to that next second (the clock never goes back), as is a
	// request admitted at the end of a second and consumed after it: at most one of each
	// per goroutine, 2 x 16 x 10 RU, can move from a second to the next. Such moves make a
	// second short, never one over, and the run as a whole stays within 5%.
	const moved = 2 * 16 * 10
	seconds := e.Seconds(t0, t0.Add(5*time.Second))
	require.Len(t, seconds, 5)
	sum := 0.0
	for _, s := range seconds {
		require.LessOrEqual(t, s.ConsumedRU, 4_000*1.05, "second %v", s.Time)
		require.GreaterOrEqual(t, s.ConsumedRU, 4_000*0.95-moved, "second %v", s.Time)
		require.Positive(t, s.Throttled)
		sum += s.ConsumedRU
	}
	require.InDelta(t, 5*4_000, sum, 5*4_000*0.05)
}

func TestBurstCapacity(t *testing.T) {
	e := newTestEngine(t, Config{Burst: true})
	createContainer(t, e, "c", Manual(400))
	r := ref("c", "0")
	serve(e, r, t0, 1)
	now := t0.Add(20 * time.Second) // 19 idle seconds bank 7,600 RU
	served := 0.0
	for range 1000 {
		if _, ok := serve(e, r, now, 10); ok {
			served += 10
		}
	}
	require.Equal(t, float64(BurstMaxRate), served, "burst serves up to 3,000 RU/s")

	e2 := newTestEngine(t, Config{})
	createContainer(t, e2, "c", Manual(400))
	serve(e2, r, t0, 1)
	served = 0
	for range 1000 {
		if _, ok := serve(e2, r, now, 10); ok {
			served += 10
		}
	}
	require.Equal(t, 400.0, served, "without burst only the budget")
}

func TestRaisingThroughputLiftsTheLimitAtOnce(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	r := ref("c", "0")
	now := t0.Add(100 * time.Millisecond)
	for range 40 {
		serve(e, r, now, 10)
	}
	_, ok := e.Admit(r, now)
	require.False(t, ok)

	rep, err := e.ReplaceOffer(Target{"db", "c"}, Manual(1_000), now)
	require.NoError(t, err)
	require.False(t, rep.Pending)
	_, ok = serve(e, r, now, 10)
	require.True(t, ok, "the new budget applies within the same second")
}

func TestReplaceOffer_AboveInstantMaximumIsPendingUntilSplit(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	target := Target{"db", "c"}

	rep, err := e.ReplaceOffer(target, Manual(25_000), t0)
	require.NoError(t, err)
	require.Equal(t, Replacement{Pending: true, Partitions: 3}, rep)
	info, err := e.Offer(target)
	require.NoError(t, err)
	require.Equal(t, Manual(400), info.Offer, "the old offer stays in force")
	require.Equal(t, Manual(25_000), *info.Pending)
	require.Equal(t, 10_000, info.InstantMax)

	_, err = e.ReplaceOffer(target, Manual(500), t0)
	require.ErrorIs(t, err, ErrConflict)

	require.NoError(t, e.SetRanges("db", "c", []string{"1", "2"}, t0.Add(time.Second)))
	info, _ = e.Offer(target)
	require.NotNil(t, info.Pending, "two partitions serve only 20,000 RU/s")

	require.NoError(t, e.SetRanges("db", "c", []string{"1", "3", "4"}, t0.Add(2*time.Second)))
	info, _ = e.Offer(target)
	require.Nil(t, info.Pending)
	require.Equal(t, Manual(25_000), info.Offer)
	require.Equal(t, 3, info.Partitions)

	// A request admitted on the old range before the split is charged there, and the old
	// range does not come back as a live partition.
	e.Consume(ref("c", "0"), t0.Add(2*time.Second), 10)
	info, _ = e.Offer(target)
	require.Equal(t, 3, info.Partitions)

	now := t0.Add(3 * time.Second)
	served := 0.0
	for range 1000 {
		if _, ok := serve(e, ref("c", "3"), now, 10); ok {
			served += 10
		}
	}
	require.InDelta(t, 25_000.0/3, served, 10, "each partition gets a third")
}

func TestOffer_Validate(t *testing.T) {
	tests := []struct {
		name    string
		offer   Offer
		limits  Limits
		wantErr string
	}{
		{"manual minimum", Manual(400), Limits{}, ""},
		{"manual step", Manual(450), Limits{}, "not a multiple of 100"},
		{"manual below minimum", Manual(300), Limits{}, "below the minimum of 400"},
		{"manual above quota", Manual(1_000_100), Limits{}, "above the maximum of 1000000"},
		{"manual minimum from storage", Manual(400), Limits{StorageBytes: 2000 * gib},
			"below the minimum of 2000"},
		{"manual minimum from highest ever", Manual(400), Limits{MaxEver: 50_000},
			"below the minimum of 500"},
		{"shared minimum from containers", Manual(600), Limits{Containers: 28},
			"below the minimum of 700"},
		{"autoscale entry point", Autoscale(1_000), Limits{}, ""},
		{"autoscale step", Autoscale(1_500), Limits{}, "not a multiple of 1000"},
		{"autoscale from highest ever", Autoscale(4_000), Limits{MaxEver: 50_000},
			"below the minimum of 5000"},
		{"autoscale from storage", Autoscale(1_000), Limits{StorageBytes: 150 * gib},
			"below the minimum of 2000"},
		{"both kinds", Offer{Throughput: 400, AutoscaleMax: 1000}, Limits{}, "not both"},
		{"empty", Offer{}, Limits{}, "below the minimum of 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.offer.Validate(tt.limits)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidOffer)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestPartitionsFromOffer(t *testing.T) {
	require.Equal(t, 1, InitialPartitions(Manual(400), false))
	require.Equal(t, 2, InitialPartitions(Manual(12_000), false))
	require.Equal(t, 3, InitialPartitions(Manual(12_100), false))
	require.Equal(t, 2, InitialPartitions(Autoscale(20_000), false))
	require.Equal(t, 2, InitialPartitions(Manual(12_100), true))
	require.Equal(t, 5, RequiredPartitions(Manual(45_000)))
}

func TestReplaceOffer_MinimumFollowsStorage(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(1_000))
	e.ReportStorage(ref("c", "0"), t0, 600*gib)
	_, err := e.ReplaceOffer(Target{"db", "c"}, Manual(400), t0)
	require.ErrorContains(t, err, "below the minimum of 600")
	info, err := e.Offer(Target{"db", "c"})
	require.NoError(t, err)
	require.Equal(t, 600, info.MinThroughput)
	require.Equal(t, 6_000, info.MinAutoscaleMax)
}

func TestSharedDatabaseThroughput(t *testing.T) {
	e := newTestEngine(t, Config{})
	shared := Manual(400)
	require.NoError(t, e.CreateDatabase("db", "rid-db", &shared, t0))
	for _, name := range []string{"a", "b"} {
		require.NoError(t, e.CreateContainer(ContainerSpec{Database: "db", Container: name,
			RID: "rid-" + name}, t0))
	}
	now := t0.Add(time.Second)
	served := 0.0
	for range 100 {
		if _, ok := serve(e, ref("a", "0"), now, 10); ok {
			served += 10
		}
	}
	require.Equal(t, 200.0, served, "two containers' partitions split 400 RU/s")

	_, err := e.Offer(Target{"db", "a"})
	require.ErrorIs(t, err, ErrNotFound, "a sharing container has no offer of its own")
	info, err := e.Offer(Target{Database: "db"})
	require.NoError(t, err)
	require.True(t, info.Shared)
	require.Equal(t, 2, info.Partitions)
}

func TestUnknownContainerGetsDefaultThroughput(t *testing.T) {
	e := newTestEngine(t, Config{DefaultThroughput: 500})
	served := 0.0
	for range 100 {
		if _, ok := serve(e, ref("new", "0"), t0, 10); ok {
			served += 10
		}
	}
	require.Equal(t, 500.0, served)
	info, err := e.Offer(Target{"db", "new"})
	require.NoError(t, err)
	require.Equal(t, Manual(500), info.Offer)
}

func TestRecreatedContainerStartsAfresh(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	for range 40 {
		serve(e, ref("c", "0"), t0, 10)
	}
	e.DeleteContainer("db", "c", "rid-other", t0)
	_, err := e.Offer(Target{"db", "c"})
	require.NoError(t, err, "deleting another _rid leaves the container")
	e.DeleteContainer("db", "c", "rid-c", t0)
	fresh := PartitionRef{"db", "c", "rid-other", "0"}
	_, ok := serve(e, fresh, t0, 10)
	require.True(t, ok, "a container recreated under the same name has its own budget")
}

func TestAutoscale_ScalesWithinRangeAndBillsHourlyPeak(t *testing.T) {
	const hour = 10 * time.Second
	e := newTestEngine(t, Config{HourLength: hour})
	createContainer(t, e, "c", Autoscale(10_000), "0", "1")
	// Hour 0: a 1,750 RU second on one of two partitions calls for 3,500 RU/s.
	for range 175 {
		serve(e, ref("c", "0"), t0.Add(2*time.Second), 10)
	}
	// Hour 1: idle. Hour 2: over the maximum, throttled at each partition's 5,000.
	throttled := 0
	for range 600 {
		if _, ok := serve(e, ref("c", "1"), t0.Add(2*hour), 10); !ok {
			throttled++
		}
	}
	require.Equal(t, 100, throttled)

	sec := secondsOf(t, e, "c", t0.Add(2*time.Second))
	require.Equal(t, 3_500.0, sec.ProvisionedRU)
	require.True(t, sec.Autoscale)
	require.Equal(t, 1_000.0, secondsOf(t, e, "c", t0.Add(3*time.Second)).ProvisionedRU,
		"an idle second scales down to a tenth of the maximum")

	bills := e.Bills(t0.Add(2*hour + time.Second))
	require.Len(t, bills, 1)
	var billed []int
	for _, h := range bills[0].Hours {
		billed = append(billed, h.BilledRU)
		require.True(t, h.Autoscale)
	}
	require.Equal(t, []int{3_500, 1_000, 10_000}, billed)
	require.InDelta(t, (35+10+100)*0.012, bills[0].Cost, 1e-9)
	require.Equal(t, 14_500.0, bills[0].RUHours)
}

func TestManualBill_HourChargedAtItsHighestValue(t *testing.T) {
	e := newTestEngine(t, Config{Regions: 2})
	createContainer(t, e, "c", Manual(400))
	_, err := e.ReplaceOffer(Target{"db", "c"}, Manual(1_000), t0.Add(30*time.Minute))
	require.NoError(t, err)
	_, err = e.ReplaceOffer(Target{"db", "c"}, Manual(400), t0.Add(40*time.Minute))
	require.NoError(t, err)

	b := e.Bills(t0.Add(90 * time.Minute))[0]
	require.Len(t, b.Hours, 2)
	require.Equal(t, 1_000, b.Hours[0].BilledRU)
	require.Equal(t, 400, b.Hours[1].BilledRU)
	require.InDelta(t, (10+4)*0.008*2, b.Cost, 1e-9, "two regions at the manual rate")
	require.Equal(t, 2_800.0, b.RUHours)
}

func TestMultiRegionWritesRate(t *testing.T) {
	e := newTestEngine(t, Config{Regions: 2, MultiRegionWrites: true})
	createContainer(t, e, "c", Autoscale(1_000))
	b := e.Bills(t0.Add(time.Minute))[0]
	require.InDelta(t, 1*0.016*2, b.Cost, 1e-9, "idle autoscale bills 100 RU/s per region")
}

func TestConfig_Validate(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	err := Config{DefaultThroughput: 450, ThrottledChargeRU: -1, History: time.Millisecond,
		HourLength: time.Microsecond, Regions: -1, Prices: Prices{Manual: -1}}.Validate()
	for _, want := range []string{"default throughput", "throttled charge", "history",
		"hour length", "regions", "prices"} {
		require.ErrorContains(t, err, want)
	}
	_, err = NewEngine(Config{Regions: -2})
	require.ErrorContains(t, err, "throughput config: regions -2")
}

func TestConsume_IgnoresInvalidCharges(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	e.Consume(ref("c", "0"), t0, math.NaN())
	e.Consume(ref("c", "0"), t0, -5)
	require.Zero(t, secondsOf(t, e, "c", t0).ConsumedRU)
}

func TestBills_HoursShorterThanASecond(t *testing.T) {
	// A scenario compressed 36,000 times: a billing hour lasts 100 ms, so a second holds
	// ten, all at that second's RU/s.
	e := newTestEngine(t, Config{HourLength: 100 * time.Millisecond})
	createContainer(t, e, "c", Autoscale(4_000))
	for range 200 {
		serve(e, ref("c", "0"), t0, 10) // 2,000 RU in the first second
	}
	b := e.Bills(t0.Add(1500 * time.Millisecond))[0]
	require.Len(t, b.Hours, 2, "one entry per second")
	require.Equal(t, 10.0, b.Hours[0].Hours)
	require.Equal(t, 2_000, b.Hours[0].BilledRU)
	require.Equal(t, 400, b.Hours[1].BilledRU)
	require.Equal(t, (2_000+400)*10.0, b.RUHours)
	require.InDelta(t, (20+4)*10*0.012, b.Cost, 1e-9)
}

func TestBills_HourStraddlingSeconds(t *testing.T) {
	// 1.5 s hours: the second [1 s, 2 s) falls in hours 0 and 1, and its peak counts in both.
	e := newTestEngine(t, Config{HourLength: 1500 * time.Millisecond})
	createContainer(t, e, "c", Autoscale(4_000))
	for range 300 {
		serve(e, ref("c", "0"), t0.Add(time.Second), 10)
	}
	b := e.Bills(t0.Add(2 * time.Second))[0]
	require.Len(t, b.Hours, 2)
	require.Equal(t, 3_000, b.Hours[0].BilledRU)
	require.Equal(t, 3_000, b.Hours[1].BilledRU)
	require.Equal(t, 1.0, b.Hours[1].Hours)
}

// TestChargeAfterDeleteDoesNotResurrect finishes a request after its container was
// deleted: the charge goes to the deleted container, which stays deleted and unbilled.
func TestChargeAfterDeleteDoesNotResurrect(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	r := ref("c", "0")
	_, ok := e.Admit(r, t0)
	require.True(t, ok)
	e.DeleteContainer("db", "c", "rid-c", t0.Add(time.Second))
	e.Consume(r, t0.Add(2*time.Second), 10)
	e.ReportStorage(r, t0.Add(2*time.Second), 1024)

	_, err := e.Offer(Target{"db", "c"})
	require.ErrorIs(t, err, ErrNotFound, "the container stays deleted")
	bills := e.Bills(t0.Add(3 * time.Hour))
	require.Len(t, bills, 1)
	require.Len(t, bills[0].Hours, 1, "billed until the delete only")
	require.Equal(t, 10.0, math.Float64frombits(e.deleted[0].parts[0].totalRU.Load()),
		"charged to the deleted container")
}

// TestLateChargeOfReplacedContainer finishes a request of a deleted container after a new
// one was created under its name: the new container keeps its offer and budget.
func TestLateChargeOfReplacedContainer(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	old := ref("c", "0")
	_, ok := e.Admit(old, t0)
	require.True(t, ok)
	e.DeleteContainer("db", "c", "rid-c", t0)
	o := Manual(1_000)
	require.NoError(t, e.CreateContainer(ContainerSpec{Database: "db", Container: "c",
		RID: "rid-new", Offer: &o}, t0))
	e.Consume(old, t0, 10)

	info, err := e.Offer(Target{"db", "c"})
	require.NoError(t, err)
	require.Equal(t, "rid-new", info.RID)
	require.Equal(t, Manual(1_000), info.Offer)
}
