package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteJUnit(t *testing.T) {
	s := finishedSynth(t, synthRun{seed: 4, seconds: 30})
	var buf bytes.Buffer
	require.NoError(t, WriteJUnit(&buf, s))

	var got junitSuites
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &got))
	require.Equal(t, len(s.Thresholds)+len(s.Invariants), got.Tests)
	require.Len(t, got.Suites, 2)
	require.Len(t, got.Suites[0].Cases, 3)
	require.Len(t, got.Suites[1].Cases, 3)
	// p(50)<1ms in the burst phase fails on purpose; everything else holds.
	require.Equal(t, 1, got.Failures)
	failed := got.Suites[0].Cases[2] // events_lost sorts first, then ingest_latency's two
	require.Equal(t, "ingest_latency: p(50)<1ms [phase burst]", failed.Name)
	require.NotNil(t, failed.Failure)
	require.Contains(t, failed.Failure.Message, "p(50) of ingest_latency was")
}

func TestWriteMarkdownPutsFailedGatesFirst(t *testing.T) {
	s := finishedSynth(t, synthRun{seed: 5, seconds: 30})
	var buf bytes.Buffer
	require.NoError(t, WriteMarkdown(&buf, s))
	md := buf.String()
	require.True(t, strings.HasPrefix(md, "## Stampede `synthetic`: ❌ FAIL"), md[:60])
	failed := strings.Index(md, "### Failed gates")
	figures := strings.Index(md, "### Key figures")
	require.Positive(t, failed)
	require.Less(t, failed, figures)
	require.Contains(t, md, "| threshold | `ingest_latency p(50)<1ms [phase burst]` |")
	require.Contains(t, md, "| brute_force | 10 | 9 | 1 | 1 | 0.90 | 0.90 | 2.5s |")
	require.Contains(t, md, "| westeurope → northeurope |")
}

func TestWriteMarkdownPass(t *testing.T) {
	s := synthRun{seed: 6, seconds: 10}.build(t)
	CheckInvariants(s)
	s.Finalize()
	var buf bytes.Buffer
	require.NoError(t, WriteMarkdown(&buf, s))
	require.Contains(t, buf.String(), "✅ PASS")
	require.NotContains(t, buf.String(), "Failed gates")
}

func TestWriteHTMLSelfContained(t *testing.T) {
	s := finishedSynth(t, synthRun{seed: 7, seconds: 90})
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, s))
	page := buf.String()
	for _, id := range []string{"rate", "latency", "ru", "throttle", "regions", "schema"} {
		requireHas(t, page, `id="chart-`+id+`"`)
	}
	require.Equal(t, 6, strings.Count(page, "<svg"))
	requireHas(t, page, `id="detection-table"`)
	requireHas(t, page, "<td>pass_the_hash</td>")
	requireHas(t, page, "<td>burst (30s-60s)</td>", "a row per phase")
	requireHas(t, page, "<td>tenant-02</td>", "a row per tenant")
	requireHas(t, page, "<td>SystemEntity</td>", "a row per container")
	requireHasNot(t, page, "<script")
	require.NotRegexp(t, `(src|href)="https?://`, page, "nothing may be fetched")
}

func TestWriteHTMLEscapesScenarioText(t *testing.T) {
	s := finishedSynth(t, synthRun{seed: 8, seconds: 5})
	s.Scenario.Effective = "name: <script>alert(1)</script>"
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, s))
	requireHasNot(t, buf.String(), "<script>alert")
	requireHas(t, buf.String(), "&lt;script&gt;alert(1)&lt;/script&gt;")
}

func TestWriteRunFolderWithComparison(t *testing.T) {
	base := finishedSynth(t, synthRun{seed: 31, seconds: 60})
	slower := finishedSynth(t, synthRun{seed: 32, seconds: 60, latencyFactor: 1.5})
	cmp, err := Compare(base, slower, CompareConfig{})
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, WriteRunFolder(dir, slower, WithComparison(cmp)))

	md, err := os.ReadFile(filepath.Join(dir, FileMarkdown))
	require.NoError(t, err)
	require.Contains(t, string(md), "### Baseline: ❌ regression")
	require.Contains(t, string(md), "| `ingest_latency` | p(99) |")
	require.NotContains(t, string(md), "no change |", "summary.md lists only what changed")

	page, err := os.ReadFile(filepath.Join(dir, FileHTML))
	require.NoError(t, err)
	requireHas(t, string(page), `id="comparison-table"`)

	for _, name := range []string{FileSummaryJSON, FileJUnit, FileComparisonMarkdown,
		FileComparisonJSON, "scenario.yaml"} {
		info, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o644), info.Mode().Perm(), name)
	}
}

func TestWritersHandleAnEmptyRun(t *testing.T) {
	s := &Summary{Scenario: Scenario{Name: "empty"}}
	CheckInvariants(s)
	s.Finalize()
	dir := t.TempDir()
	require.NoError(t, WriteRunFolder(dir, s))
	page, err := os.ReadFile(filepath.Join(dir, FileHTML))
	require.NoError(t, err)
	requireHas(t, string(page), "No time series were recorded.")
	requireHas(t, string(page), "No attacks were injected in this run.")
}

// requireHas checks a large document for a fragment without printing the document.
func requireHas(t *testing.T, doc, fragment string, msg ...any) {
	t.Helper()
	if !strings.Contains(doc, fragment) {
		t.Fatalf("document (%d bytes) lacks %q %v", len(doc), fragment, msg)
	}
}

func requireHasNot(t *testing.T, doc, fragment string, msg ...any) {
	t.Helper()
	if strings.Contains(doc, fragment) {
		t.Fatalf("document (%d bytes) has %q %v", len(doc), fragment, msg)
	}
}
