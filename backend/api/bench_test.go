package api

import (
	"fmt"
	"testing"
	"time"
)

func benchBatch(n int) *Batch {
	b := &Batch{Tenant: "t0001", Sensor: "dc003", Sequence: 1, ID: "dc003:1"}
	for i := range n {
		b.Events = append(b.Events, Event{
			Kind: KindKerberosTGS, Time: t0.Add(time.Duration(i) * time.Millisecond),
			Source:     EntityRef{Type: EntityUser, Name: fmt.Sprintf("user%05d", i%500)},
			SourceHost: fmt.Sprintf("ws%05d", i%700),
			Target:     EntityRef{Type: EntityService, Name: fmt.Sprintf("HTTP/web%02d.corp", i%20)},
			TargetHost: fmt.Sprintf("web%02d", i%20),
			Encryption: EncAES256,
		})
	}
	return b
}

// BenchmarkEncodeBatch measures batch encoding; events/s = 500 / (ns/op) * 1e9.
func BenchmarkEncodeBatch(b *testing.B) {
	batch := benchBatch(500)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBatchJSON(buf[:0], batch)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(len(batch.Events)*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecodeBatch measures decoding with a reused Decoder and Batch, plus Validate.
func BenchmarkDecodeBatch(b *testing.B) {
	data := AppendBatchJSON(nil, benchBatch(500))
	var d Decoder
	var batch Batch
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.DecodeBatch(data, &batch); err != nil {
			b.Fatal(err)
		}
		if err := batch.Validate(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "events/s")
}
