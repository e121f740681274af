package reports

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func readDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../docs/reports.md")
	require.NoError(t, err)
	return string(b)
}

func TestDocsListEveryMetric(t *testing.T) {
	docs := readDocs(t)
	for _, d := range DefaultCatalog().Defs() {
		require.True(t, strings.Contains(docs, "| `"+d.Name+"` | "+string(d.Kind)+" |"),
			"docs/reports.md should list metric %s", d.Name)
	}
}

// TestDocsExamplesAreReal parses the thresholds example of docs/reports.md and checks the
// error messages it quotes are the ones the parser gives.
func TestDocsExamplesAreReal(t *testing.T) {
	docs := readDocs(t)
	start := strings.Index(docs, "```yaml\nthresholds:\n")
	require.Positive(t, start)
	block := docs[start+len("```yaml\n"):]
	block = block[:strings.Index(block, "```")]
	var doc struct {
		Thresholds map[string][]ThresholdSpec `yaml:"thresholds"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(block), &doc))
	ths, err := ParseThresholds(DefaultCatalog(), doc.Thresholds)
	require.NoError(t, err)
	require.Len(t, ths, 8)

	cat := DefaultCatalog()
	for _, c := range []struct{ metric, expr string }{
		{"ingest_latency", "p(99<250ms"}, {"events_lst", "count==0"}, {"events_lost", "count<5%"},
	} {
		_, err := ParseThreshold(cat, c.metric, ThresholdSpec{Threshold: c.expr})
		require.Error(t, err)
		require.True(t, strings.Contains(docs, "\n"+err.Error()+"\n"),
			"docs/reports.md should quote the error %q", err)
	}
}
