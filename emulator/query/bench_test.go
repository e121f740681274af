package query

import (
	"fmt"
	"slices"
	"testing"
)

// benchDocs builds n documents shaped like the backend's entity profiles.
func benchDocs(n int) []any {
	docs := make([]any, n)
	kinds := []any{"user", "computer", "service"}
	for i := range docs {
		docs[i] = map[string]any{
			"id": fmt.Sprintf("entity-%06d", i), "tenant": fmt.Sprintf("t%d", i%10),
			"kind": kinds[i%3], "count": float64(i % 100), "schemaVersion": 2.0,
			"protocols": []any{"kerberos", "ntlm"},
			"hours":     map[string]any{"09": float64(i % 7), "10": float64(i % 5)},
			"_ts":       float64(1_700_000_000 + i),
		}
	}
	return docs
}

func benchmarkQuery(b *testing.B, text string, params ...Param) {
	docs := benchDocs(100_000)
	bound := mustBind(b, text, params...)
	b.ReportAllocs()
	b.ResetTimer()
	var rows []any
	for b.Loop() {
		var err error
		if rows, err = bound.Execute(slices.Values(docs)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(len(rows)), "rows")
}

// BenchmarkFilterProjection100k is the package's speed target: a filter and a projection
// over 100,000 documents, as the emulator runs for a cross-partition query.
func BenchmarkFilterProjection100k(b *testing.B) {
	benchmarkQuery(b, "SELECT c.id, c.kind, c.count * 2 AS doubled FROM c WHERE c.tenant = @t AND c.count > 10",
		Param{Name: "@t", Value: "t3"})
}

func BenchmarkSelectStarAll100k(b *testing.B) {
	benchmarkQuery(b, "SELECT * FROM c")
}

func BenchmarkOrderBy100k(b *testing.B) {
	benchmarkQuery(b, "SELECT c.id FROM c WHERE c.kind = 'user' ORDER BY c.count DESC, c.id")
}

func BenchmarkGroupBy100k(b *testing.B) {
	benchmarkQuery(b, "SELECT c.tenant, c.kind, COUNT(1) AS n, SUM(c.count) AS total FROM c GROUP BY c.tenant, c.kind")
}

func BenchmarkReadManyIn1000Over100k(b *testing.B) {
	text, params := inParams("SELECT * FROM c WHERE c.id IN (", 1000,
		func(i int) any { return fmt.Sprintf("entity-%06d", i*97) })
	benchmarkQuery(b, text, params...)
}

func BenchmarkParse(b *testing.B) {
	const text = `SELECT c.id, c.kind, ARRAY(SELECT VALUE p FROM p IN c.protocols WHERE p LIKE 'k%') AS ps
		FROM c JOIN h IN c.hours WHERE c.tenant = @t AND (c.count BETWEEN 1 AND 50 OR IS_NULL(c.x))
		ORDER BY c._ts DESC OFFSET 10 LIMIT 20`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyPerDocument measures the streaming path the core uses page by page.
func BenchmarkApplyPerDocument(b *testing.B) {
	docs := benchDocs(1000)
	bound := mustBind(b, "SELECT c.id, c.kind FROM c WHERE c.tenant = @t AND c.count > 10",
		Param{Name: "@t", Value: "t3"})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := bound.Apply(docs[i%len(docs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
