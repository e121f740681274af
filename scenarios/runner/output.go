package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/stampede-load/stampede/reports"
)

// FileCapacityJSON is the file of a run folder, besides those reports.WriteRunFolder
// writes, that holds what a sweep found.
const FileCapacityJSON = "capacity.json"

// writeRunFolder writes the run folder through the reports package (summary.json,
// junit.xml, summary.md, report.html, scenario.yaml and, with a baseline, the comparison in
// comparison.md and comparison.json and as a section of summary.md and report.html), and
// the capacity a sweep found. It returns the paths written.
func writeRunFolder(dir string, res *Result, baseline *reports.Summary,
	cfg reports.CompareConfig,
) ([]string, error) {
	sum := res.Summary
	var opts []reports.FolderOption
	files := []string{reports.FileSummaryJSON, reports.FileJUnit, reports.FileMarkdown,
		reports.FileHTML, "scenario.yaml"}
	if baseline != nil {
		cmp, err := reports.Compare(baseline, sum, cfg)
		if err != nil {
			return nil, fmt.Errorf("compare with baseline: %w", err)
		}
		res.Comparison = cmp
		opts = append(opts, reports.WithComparison(cmp))
		files = append(files, reports.FileComparisonMarkdown, reports.FileComparisonJSON)
	}
	if err := reports.WriteRunFolder(dir, sum, opts...); err != nil {
		return nil, err
	}
	if res.Capacity != nil {
		if err := writeJSON(filepath.Join(dir, FileCapacityJSON), res.Capacity); err != nil {
			return nil, err
		}
		files = append(files, FileCapacityJSON)
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
