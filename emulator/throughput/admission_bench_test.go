package throughput

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// callers is the concurrency of the admission target: 16 concurrent callers.
const callers = 16

// benchEngine has one 10,000 RU/s container with the given number of partitions. The
// benchmarks charge 0.001 RU per request so that admitted runs never hit the budget.
func benchEngine(b *testing.B, partitions int) *Engine {
	b.Helper()
	e, err := NewEngine(Config{})
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, partitions)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	o := Manual(partitions * PartitionMaxThroughput)
	if err := e.CreateContainer(ContainerSpec{Database: "db", Container: "c", RID: "rid",
		Offer: &o, RangeIDs: ids}, time.Now()); err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkAdmission measures one request's admission (lookup, check, reserve) and charge
// (debit) on the wall clock, as the emulator calls them.
func BenchmarkAdmission(b *testing.B) {
	e := benchEngine(b, 1)
	r := PartitionRef{"db", "c", "rid", "0"}
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		if _, ok := e.Admit(r, now); ok {
			e.Consume(r, now, 0.001)
		}
	}
}

// BenchmarkAdmission16Callers is the target: under 2 µs per request with 16
// concurrent callers, all on one partition (the most contended case) or spread over 16.
func BenchmarkAdmission16Callers(b *testing.B) {
	for _, partitions := range []int{1, 16} {
		b.Run(fmt.Sprintf("partitions=%d", partitions), func(b *testing.B) {
			e := benchEngine(b, partitions)
			var next atomic.Int64
			b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := PartitionRef{"db", "c", "rid", fmt.Sprint(next.Add(1) % int64(partitions))}
				for pb.Next() {
					now := time.Now()
					if _, ok := e.Admit(r, now); ok {
						e.Consume(r, now, 0.001)
					}
				}
			})
		})
	}
}

// BenchmarkAdmissionThrottled16Callers measures the refusal path (429 with retry-after).
func BenchmarkAdmissionThrottled16Callers(b *testing.B) {
	e := benchEngine(b, 1)
	r := PartitionRef{"db", "c", "rid", "0"}
	now := time.Now()
	e.Consume(r, now, 1e9) // debt for a long while
	b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := e.Admit(r, time.Now()); ok {
				b.Error("admitted while in debt")
			}
		}
	})
}

// BenchmarkSustainedDoubleLoad is the second target: 60 simulated seconds at twice
// the provisioned RU/s (12,000 RU/s over 3 partitions, 7 RU requests, injected clock). It
// reports the worst second's distance from provisioned (max-dev-%) and the worst
// partition-second as a share of the partition's budget (max-share-%).
func BenchmarkSustainedDoubleLoad(b *testing.B) {
	const provisioned, partitions, seconds = 12_000, 3, 60
	charge := 7.0
	perSecond := int(2 * provisioned / charge)
	step := time.Second / time.Duration(perSecond)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var worstDev, worstShare float64
	b.ReportAllocs()
	for b.Loop() {
		e, err := NewEngine(Config{})
		if err != nil {
			b.Fatal(err)
		}
		o := Manual(provisioned)
		if err := e.CreateContainer(ContainerSpec{Database: "db", Container: "c", RID: "rid",
			Offer: &o, RangeIDs: []string{"0", "1", "2"}}, t0); err != nil {
			b.Fatal(err)
		}
		for i := range seconds * perSecond {
			now := t0.Add(time.Duration(i) * step)
			r := PartitionRef{"db", "c", "rid", fmt.Sprint(i % partitions)}
			if _, ok := e.Admit(r, now); ok {
				e.Consume(r, now, charge)
			}
		}
		for _, s := range e.Seconds(t0, t0.Add(seconds*time.Second)) {
			worstDev = max(worstDev, math.Abs(s.ConsumedRU-provisioned)/provisioned*100)
			for _, p := range s.Partitions {
				worstShare = max(worstShare, p.ConsumedRU/(provisioned/partitions)*100)
			}
		}
	}
	b.ReportMetric(worstDev, "max-dev-%")
	b.ReportMetric(worstShare, "max-share-%")
}
