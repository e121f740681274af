package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/stampede-load/stampede/reports"
)

func init() {
	commands["report"] = command{
		summary: "compare, merge or re-render run summaries (summary.json)",
		run:     runReport,
	}
}

const reportUsage = `usage:
  stampede report compare BASE.json NEW.json [--format text|md|json] [--confidence 0.99]
                          [--family-error 0.05] [--min-change 0.05]
                          [--pairing auto|always|never]
      per metric change with a confidence interval and verdict; exit 99 when a regression
      holds across all metrics together (Holm-Bonferroni at --family-error), else 0
  stampede report merge --out MERGED.json SHARD.json...
      merge the summaries of the shards of one run exactly (histograms add) and
      evaluate their thresholds and invariants again on the merged data
  stampede report render SUMMARY.json --out DIR
      write summary.json, junit.xml, summary.md and report.html from a summary`

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, reportUsage)
		if len(args) == 0 {
			return badInput(errors.New("report: missing subcommand (compare, merge, render)"))
		}
		return nil
	}
	switch args[0] {
	case "compare":
		return reportCompare(args[1:], stdout, stderr)
	case "merge":
		return reportMerge(args[1:], stderr)
	case "render":
		return reportRender(args[1:], stderr)
	}
	fmt.Fprintln(stderr, reportUsage)
	return badInput(fmt.Errorf("report: unknown subcommand %q (want compare, merge or render)",
		args[0]))
}

// parseInterleaved parses flags that may come before, between or after the positional
// arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func reportCompare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", reports.FormatText, "output format: text, md or json")
	confidence := fs.Float64("confidence", reports.DefaultConfidence,
		"confidence level of each metric's interval and verdict, between 0 and 1")
	familyError := fs.Float64("family-error", reports.DefaultFamilyErrorRate,
		"most often two runs of the same build may fail the gate (exit 99), between 0 and 1")
	minChange := fs.Float64("min-change", reports.DefaultMinChange,
		"smallest relative change that counts (0.05 = 5%); negative for none")
	pairing := fs.String("pairing", "auto",
		"auto (pair seconds when both runs follow the same timeline), always or never")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return badInput(fmt.Errorf("report compare: want BASE.json NEW.json, got %d files",
			len(files)))
	}
	if !slices.Contains(reports.ComparisonFormats, *format) {
		return badInput(fmt.Errorf("report compare: --format %q: want one of %s", *format,
			strings.Join(reports.ComparisonFormats, ", ")))
	}
	pairings := map[string]reports.Pairing{"auto": reports.PairAuto,
		"always": reports.PairAlways, "never": reports.PairNever}
	pair, ok := pairings[*pairing]
	if !ok {
		return badInput(fmt.Errorf("report compare: --pairing %q: want auto, always or never",
			*pairing))
	}
	base, err := loadSummaryArg(files[0])
	if err != nil {
		return err
	}
	cur, err := loadSummaryArg(files[1])
	if err != nil {
		return err
	}
	cmp, err := reports.Compare(base, cur, reports.CompareConfig{Confidence: *confidence,
		FamilyErrorRate: *familyError, MinChange: *minChange, Pairing: pair})
	if err != nil {
		return badInput(fmt.Errorf("report compare: %w", err))
	}
	if err := reports.WriteComparison(stdout, cmp, *format); err != nil {
		return fmt.Errorf("report compare: %w", err)
	}
	if cmp.Regressed() {
		return &exitError{code: ExitThresholds}
	}
	return nil
}

func reportMerge(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("report merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "file to write the merged summary to (required)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *out == "" || len(files) == 0 {
		return badInput(errors.New("report merge: want --out MERGED.json and one or more summaries"))
	}
	shards := make([]*reports.Summary, len(files))
	for i, f := range files {
		if shards[i], err = loadSummaryArg(f); err != nil {
			return err
		}
	}
	merged, err := reports.MergeShards(reports.DefaultCatalog(), shards...)
	if err != nil {
		return badInput(fmt.Errorf("report merge: %w", err))
	}
	return writeSummaryFile(*out, merged)
}

func reportRender(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("report render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("out", "", "folder to write the report files into (required)")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *dir == "" || len(files) != 1 {
		return badInput(errors.New("report render: want SUMMARY.json and --out DIR"))
	}
	s, err := loadSummaryArg(files[0])
	if err != nil {
		return err
	}
	s.Finalize()
	if err := reports.WriteRunFolder(*dir, s); err != nil {
		return fmt.Errorf("report render: %w", err)
	}
	return nil
}

// loadSummaryArg reads a summary file; a missing or malformed file is bad input.
func loadSummaryArg(path string) (*reports.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput(fmt.Errorf("read summary: %w", err))
	}
	defer f.Close()
	s, err := reports.ReadJSON(f)
	if err != nil {
		return nil, badInput(fmt.Errorf("%s: %w", path, err))
	}
	return s, nil
}

func writeSummaryFile(path string, s *reports.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	err = reports.WriteJSON(f, s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write summary %s: %w", path, err)
	}
	return nil
}
