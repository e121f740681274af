package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stampede-load/stampede/reports"
)

// Files of a run folder.
const (
	FileSummaryJSON = "summary.json"
	FileScenario    = "scenario.yaml"
	FileComparison  = "comparison.json"
)

// fileWriter renders one file of the run folder.
type fileWriter struct {
	name  string
	write func(*bytes.Buffer) error
}

// writeRunFolder writes the run folder through the reports package's writers and returns
// the paths written.
func writeRunFolder(dir string, sum *reports.Summary, baseline *reports.Summary) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	writers := []fileWriter{
		{FileSummaryJSON, func(b *bytes.Buffer) error { return reports.WriteJSON(b, sum) }},
		{FileScenario, func(b *bytes.Buffer) error {
			_, err := b.WriteString(sum.Scenario.Effective)
			return err
		}},
	}
	if baseline != nil {
		cmp, err := reports.Compare(baseline, sum, reports.CompareConfig{})
		if err != nil {
			return nil, fmt.Errorf("compare with baseline: %w", err)
		}
		writers = append(writers, fileWriter{FileComparison, func(b *bytes.Buffer) error {
			enc := json.NewEncoder(b)
			enc.SetIndent("", "  ")
			return enc.Encode(cmp)
		}})
	}
	var files []string
	for _, w := range writers {
		var buf bytes.Buffer
		if err := w.write(&buf); err != nil {
			return files, fmt.Errorf("%s: %w", w.name, err)
		}
		path := filepath.Join(dir, w.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}
