package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stampede-load/stampede/reports"
)

// Files of a run folder besides those reports.WriteRunFolder writes.
const (
	FileComparisonJSON = "comparison.json"
	FileCapacityJSON   = "capacity.json"
)

// writeRunFolder writes the run folder through the reports package (summary.json,
// junit.xml, summary.md, report.html, scenario.yaml), the capacity a sweep found, and, with
// a baseline, the comparison. It returns the paths written.
func writeRunFolder(dir string, res *Result, baseline *reports.Summary) ([]string, error) {
	sum := res.Summary
	if err := reports.WriteRunFolder(dir, sum); err != nil {
		return nil, err
	}
	files := []string{reports.FileSummaryJSON, reports.FileJUnit, reports.FileMarkdown,
		reports.FileHTML, "scenario.yaml"}
	if res.Capacity != nil {
		if err := writeJSON(filepath.Join(dir, FileCapacityJSON), res.Capacity); err != nil {
			return nil, err
		}
		files = append(files, FileCapacityJSON)
	}
	if baseline != nil {
		cmp, err := reports.Compare(baseline, sum, reports.CompareConfig{})
		if err != nil {
			return nil, fmt.Errorf("compare with baseline: %w", err)
		}
		res.Comparison = cmp
		// TODO(#7): also comparison.md once reports' comparison writer is in.
		if err := writeJSON(filepath.Join(dir, FileComparisonJSON), cmp); err != nil {
			return nil, err
		}
		files = append(files, FileComparisonJSON)
	}
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
	}
	return files, nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
