package emulator

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkThrottlerAdmission16Callers measures what throughput enforcement adds to a
// request in the emulator: the Throttler's Admit and Consume (registration check, engine
// lookup, budget check and debit), with 16 concurrent callers on one partition.
func BenchmarkThrottlerAdmission16Callers(b *testing.B) {
	srv, err := New(Config{Throughput: &ThroughputConfig{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	d, err := srv.store.createDatabase("db", offerSettings{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	c, err := srv.store.createContainer(d, containerProps{ID: "c",
		PartitionKey: pkDefinition{Paths: []string{"/pk"}, Kind: "Hash", Version: 2}},
		offerSettings{Throughput: 10_000}, 0)
	if err != nil {
		b.Fatal(err)
	}
	srv.registerContainer(c, time.Now())
	ref := c.partitions()[0].ref()
	t := srv.cfg.Throttler
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			now := time.Now()
			if _, ok := t.Admit(ref, now); ok {
				t.Consume(ref, now, 0.001)
			}
		}
	})
}

// BenchmarkMeasureStorage1M measures one storage measurement pass of the throughput
// maintenance over a container of a million 1 KB documents in four partitions (the pass
// runs once a second per container):
//
//	go test ./emulator/ -run '^$' -bench BenchmarkMeasureStorage1M -benchtime 20x
func BenchmarkMeasureStorage1M(b *testing.B) {
	s := startBenchEmulator(b)
	c, err := s.store.container("db", "c")
	require.NoError(b, err)
	s.splitInto(c, 4)
	seedDirect(b, s, "db", "c", 1_000_000, 10_000)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		s.tp.keys.Delete(c) // measure again, as a second later
		s.tp.mu.Lock()
		s.measureStorage(c, now)
		s.tp.mu.Unlock()
	}
}
