package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stampede-load/stampede/reports"
)

// Files of a run folder.
const (
	FileSummaryJSON = "summary.json"
	FileScenario    = "scenario.yaml"
)

// writeRunFolder writes the run folder through the reports package's writers and returns
// the paths written.
func writeRunFolder(dir string, sum *reports.Summary, baseline *reports.Summary) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	writers := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{FileSummaryJSON, func(b *bytes.Buffer) error { return reports.WriteJSON(b, sum) }},
		{FileScenario, func(b *bytes.Buffer) error {
			_, err := b.WriteString(sum.Scenario.Effective)
			return err
		}},
	}
	_ = baseline // TODO(#7): compare with the baseline once reports offers Compare.
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
