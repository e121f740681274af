package reports

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Items []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Output    string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes junit.xml: one test suite for the thresholds and one for the
// invariants, a test case per threshold and invariant, failures with their message.
func WriteJUnit(w io.Writer, s *Summary) error {
	props := &junitProperties{Items: []junitProperty{{"scenario", s.Scenario.Name},
		{"seed", strconv.FormatUint(s.Scenario.Seed, 10)}}}
	if s.Environment.GitCommit != "" {
		props.Items = append(props.Items, junitProperty{"commit", s.Environment.GitCommit})
	}
	ths := junitSuite{Name: "stampede.thresholds",
		Timestamp: s.Run.Start.UTC().Format("2006-01-02T15:04:05"), Properties: props}
	for _, t := range s.Thresholds {
		ths.Cases = append(ths.Cases, thresholdCase(t))
	}
	inv := junitSuite{Name: "stampede.invariants"}
	for _, i := range s.Invariants {
		inv.Cases = append(inv.Cases, invariantCase(i))
	}
	root := junitSuites{Name: "stampede " + s.Scenario.Name,
		Time: strconv.Itoa(s.Run.DurationSeconds)}
	for _, suite := range []junitSuite{ths, inv} {
		suite.Tests = len(suite.Cases)
		for _, c := range suite.Cases {
			if c.Failure != nil {
				suite.Failures++
			}
		}
		root.Tests += suite.Tests
		root.Failures += suite.Failures
		root.Suites = append(root.Suites, suite)
	}

	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	bw.WriteString("\n")
	return bw.Flush()
}

func thresholdCase(t ThresholdResult) junitCase {
	name := t.Metric + ": " + t.Expression
	switch {
	case t.Window != "":
		name += " [window " + t.Window + "]"
	case t.Phase != "":
		name += " [phase " + t.Phase + "]"
	}
	c := junitCase{Name: name, Classname: "stampede.thresholds." + t.Metric, Time: "0",
		Output: "observed " + formatValue(t.Observed, Unit(t.Unit))}
	if t.Verdict != VerdictPass {
		c.Failure = &junitFailure{Message: t.Message, Type: "threshold",
			Body: fmt.Sprintf("%s %s failed: %s", t.Metric, t.Expression, t.Message)}
	}
	return c
}

func invariantCase(i InvariantResult) junitCase {
	c := junitCase{Name: i.Name + ": " + i.Description, Classname: "stampede.invariants",
		Time: "0", Output: fmt.Sprintf("observed %g, allowed %g", i.Observed, i.Allowed)}
	if i.Message != "" { // why it passed, when it passed by an allowance
		c.Output += ": " + i.Message
	}
	if i.Verdict != VerdictPass {
		c.Failure = &junitFailure{Message: i.Message, Type: "invariant",
			Body: i.Description + ": " + i.Message}
	}
	return c
}
