package reports

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File names of a run folder.
const (
	FileSummaryJSON = "summary.json"
	FileJUnit       = "junit.xml"
	FileMarkdown    = "summary.md"
	FileHTML        = "report.html"
)

// FileComparisonMarkdown and FileComparisonJSON are written with WithComparison.
const (
	FileComparisonMarkdown = "comparison.md"
	FileComparisonJSON     = "comparison.json"
)

// FolderOption adds to what WriteRunFolder writes.
type FolderOption func(*folder)

type folder struct {
	cmp *Comparison
}

// WithComparison adds the comparison against a baseline: a section in summary.md and
// report.html (what changed, regressions first) and the files comparison.md and
// comparison.json.
func WithComparison(c *Comparison) FolderOption { return func(f *folder) { f.cmp = c } }

type fileWriter struct {
	name  string
	write func(io.Writer) error
}

// WriteRunFolder writes summary.json, junit.xml, summary.md and report.html into dir,
// creating it if needed, and the effective scenario as scenario.yaml (or .json) when the
// summary carries one. Call s.Finalize first. Each file is written to a temporary name and
// renamed, so a reader never sees half a report.
func WriteRunFolder(dir string, s *Summary, opts ...FolderOption) error {
	var f folder
	for _, o := range opts {
		o(&f)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write run folder: %w", err)
	}
	writers := []fileWriter{
		{FileSummaryJSON, func(w io.Writer) error { return WriteJSON(w, s) }},
		{FileJUnit, func(w io.Writer) error { return WriteJUnit(w, s) }},
		{FileMarkdown, func(w io.Writer) error { return writeMarkdown(w, s, f.cmp) }},
		{FileHTML, func(w io.Writer) error { return writeHTML(w, s, f.cmp) }},
	}
	if s.Scenario.Effective != "" {
		writers = append(writers, fileWriter{"scenario." + scenarioExt(s.Scenario.Format),
			func(w io.Writer) error { _, err := io.WriteString(w, s.Scenario.Effective); return err }})
	}
	if f.cmp != nil {
		writers = append(writers,
			fileWriter{FileComparisonMarkdown, func(w io.Writer) error {
				return WriteComparison(w, f.cmp, FormatMarkdown)
			}},
			fileWriter{FileComparisonJSON, func(w io.Writer) error {
				return WriteComparison(w, f.cmp, FormatJSON)
			}})
	}
	for _, w := range writers {
		if err := writeFileAtomic(filepath.Join(dir, w.name), w.write); err != nil {
			return fmt.Errorf("write run folder: %w", err)
		}
	}
	return nil
}

func scenarioExt(format string) string {
	if format == "json" {
		return "json"
	}
	return "yaml"
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(f)
	err = errors.Join(err, f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return nil
}
