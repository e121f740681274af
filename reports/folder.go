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

// WriteRunFolder writes summary.json, junit.xml, summary.md and report.html into dir,
// creating it if needed, and the effective scenario as scenario.yaml (or .json) when the
// summary carries one. Call s.Finalize first. Each file is written to a temporary name and
// renamed, so a reader never sees half a report.
func WriteRunFolder(dir string, s *Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write run folder: %w", err)
	}
	writers := []struct {
		name  string
		write func(io.Writer, *Summary) error
	}{
		{FileSummaryJSON, WriteJSON}, {FileJUnit, WriteJUnit},
		{FileMarkdown, WriteMarkdown}, {FileHTML, WriteHTML},
	}
	if s.Scenario.Effective != "" {
		writers = append(writers, struct {
			name  string
			write func(io.Writer, *Summary) error
		}{"scenario." + scenarioExt(s.Scenario.Format), writeScenario})
	}
	for _, w := range writers {
		if err := writeFileAtomic(filepath.Join(dir, w.name), s, w.write); err != nil {
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

func writeScenario(w io.Writer, s *Summary) error {
	_, err := io.WriteString(w, s.Scenario.Effective)
	return err
}

func writeFileAtomic(path string, s *Summary, write func(io.Writer, *Summary) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(f, s)
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
