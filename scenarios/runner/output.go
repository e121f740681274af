package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stampede-load/stampede/reports"
)

// FileComparisonJSON is the file of a run folder, besides those reports.WriteRunFolder writes.
const FileComparisonJSON = "comparison.json"

// writeRunFolder writes the run folder through the reports package (summary.json,
// junit.xml, summary.md, report.html, scenario.yaml) and, with a baseline, the comparison
// as Markdown and JSON. It returns the paths written.
func writeRunFolder(dir string, sum, baseline *reports.Summary) ([]string, error) {
	if err := reports.WriteRunFolder(dir, sum); err != nil {
		return nil, err
	}
	files := []string{reports.FileSummaryJSON, reports.FileJUnit, reports.FileMarkdown,
		reports.FileHTML, "scenario.yaml"}
	if baseline != nil {
		cmp, err := reports.Compare(baseline, sum, reports.CompareConfig{})
		if err != nil {
			return nil, fmt.Errorf("compare with baseline: %w", err)
		}
		// TODO(#7): also comparison.md once reports' comparison writer is in.
		if err := writeComparison(filepath.Join(dir, FileComparisonJSON), cmp); err != nil {
			return nil, err
		}
		files = append(files, FileComparisonJSON)
	}
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
	}
	return files, nil
}

func writeComparison(path string, cmp *reports.Comparison) error {
	data, err := json.MarshalIndent(cmp, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
