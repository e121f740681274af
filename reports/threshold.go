package reports

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ThresholdSpec is one threshold as a scenario file writes it: either a bare expression
// string or a mapping with the options.
//
//	thresholds:
//	  ingest_latency:
//	    - p(99)<250ms
//	    - threshold: p(99)<1s
//	      phase: burst
//	  "cosmos_latency{op:upsert}":
//	    - threshold: p(95)<=50ms
//	      window: 30s-60s
//	      abortOnFail: true
//	      delayAbortEval: 10s
type ThresholdSpec struct {
	// Threshold is the k6 expression: aggregation, operator, value with an optional unit.
	Threshold string `json:"threshold" yaml:"threshold"`
	// Window limits evaluation to part of the timeline: "FROM-TO" offsets such as "30s-60s",
	// "1m-" (to the end) or "-45s" (from the start). Exclusive with Phase.
	Window string `json:"window,omitempty" yaml:"window,omitempty"`
	// Phase limits evaluation to a named phase of the scenario timeline.
	Phase string `json:"phase,omitempty" yaml:"phase,omitempty"`
	// AbortOnFail stops the run as soon as the threshold fails, once DelayAbortEval (a Go
	// duration, "10s") has passed since the start (or the window's start).
	AbortOnFail    bool   `json:"abortOnFail,omitempty" yaml:"abortOnFail,omitempty"`
	DelayAbortEval string `json:"delayAbortEval,omitempty" yaml:"delayAbortEval,omitempty"`
}

// UnmarshalYAML accepts a bare expression string or the mapping form.
func (t *ThresholdSpec) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = ThresholdSpec{Threshold: n.Value}
		return nil
	}
	type plain ThresholdSpec
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = ThresholdSpec(p)
	return nil
}

// UnmarshalJSON accepts a bare expression string or the object form.
func (t *ThresholdSpec) UnmarshalJSON(b []byte) error {
	var s string
	if err := jsonUnmarshalStrict(b, &s); err == nil {
		*t = ThresholdSpec{Threshold: s}
		return nil
	}
	type plain ThresholdSpec
	var p plain
	if err := jsonUnmarshalStrict(b, &p); err != nil {
		return err
	}
	*t = ThresholdSpec(p)
	return nil
}

// Threshold is a parsed, checked threshold, ready to evaluate.
type Threshold struct {
	// Source is the metric as written and Metric/Selector its parts.
	Source   string
	Metric   string
	Selector Labels
	Def      MetricDef

	// Expression is the expression as written.
	Expression string
	Agg        Aggregation
	Op         Op
	// Limit is the right-hand side converted to the metric's unit.
	Limit float64

	// Window is the evaluation range in seconds when WindowText is set.
	Window     Window
	WindowText string
	Phase      string

	AbortOnFail    bool
	DelayAbortEval time.Duration
}

// Aggregation is the left-hand side of a threshold.
type Aggregation struct {
	// Name is one of avg, min, max, med, count, rate, value or p.
	Name string
	// Percentile is N of p(N), 0..100.
	Percentile float64
}

// String writes the aggregation as in a threshold: "p(99)", "avg", "rate".
func (a Aggregation) String() string {
	if a.Name == "p" {
		return "p(" + strconv.FormatFloat(a.Percentile, 'g', -1, 64) + ")"
	}
	return a.Name
}

// Op is a comparison operator.
type Op string

// Operators, as in k6.
const (
	OpLess      Op = "<"
	OpLessEq    Op = "<="
	OpGreater   Op = ">"
	OpGreaterEq Op = ">="
	OpEqual     Op = "=="
	OpNotEqual  Op = "!="
)

// Holds reports whether observed op limit is true.
func (o Op) Holds(observed, limit float64) bool {
	switch o {
	case OpLess:
		return observed < limit
	case OpLessEq:
		return observed <= limit
	case OpGreater:
		return observed > limit
	case OpGreaterEq:
		return observed >= limit
	case OpEqual:
		return observed == limit
	case OpNotEqual:
		return observed != limit
	}
	return false
}

// aggregationsByKind lists the aggregations each kind of metric offers, as in k6.
var aggregationsByKind = map[Kind][]string{
	KindCounter: {"count", "rate"},
	KindRate:    {"rate"},
	KindTrend:   {"avg", "min", "max", "med", "p(N)", "count"},
	KindGauge:   {"value", "min", "max", "avg"},
}

// ThresholdError is returned for a threshold that cannot be parsed or does not fit its
// metric. Column is 1-based within Input; 0 when the problem is not positional.
type ThresholdError struct {
	Metric string
	// Field is the part of the spec at fault: metric, threshold, window, phase or
	// delayAbortEval.
	Field  string
	Input  string
	Column int
	Msg    string
	// Err is the underlying error (an *UnknownMetricError for an unknown name).
	Err error
}

// Error names the metric, the field and its input, the column and the problem.
func (e *ThresholdError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "threshold on %q: %s %q", e.Metric, e.Field, e.Input)
	if e.Column > 0 {
		fmt.Fprintf(&b, " column %d", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *ThresholdError) Unwrap() error { return e.Err }

// ParseThresholds parses every spec of a scenario's thresholds mapping, in metric order,
// and reports every problem at once.
func ParseThresholds(c *Catalog, specs map[string][]ThresholdSpec) ([]Threshold, error) {
	var out []Threshold
	var errs []error
	for _, metric := range slices.Sorted(maps.Keys(specs)) {
		for _, spec := range specs[metric] {
			t, err := ParseThreshold(c, metric, spec)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, t)
		}
	}
	return out, errors.Join(errs...)
}

// ParseThreshold parses one threshold on metric (a name, optionally with a label selector
// "name{key:value,...}") and checks it against the catalogue.
func ParseThreshold(c *Catalog, metric string, spec ThresholdSpec) (Threshold, error) {
	t := Threshold{Source: metric, Expression: spec.Threshold, Phase: spec.Phase,
		AbortOnFail: spec.AbortOnFail, WindowText: spec.Window}
	fail := func(field, input string, col int, msg string, err error) (Threshold, error) {
		return Threshold{}, &ThresholdError{Metric: metric, Field: field, Input: input,
			Column: col, Msg: msg, Err: err}
	}

	name, sel, col, msg := parseMetricSelector(metric)
	if msg != "" {
		return fail("metric", metric, col, msg, nil)
	}
	def, err := c.Lookup(name)
	if err != nil {
		return fail("metric", metric, 1, err.Error(), err)
	}
	for k := range sel {
		if def.Labels != nil && !slices.Contains(def.Labels, k) {
			return fail("metric", metric, len(name)+2, fmt.Sprintf(
				"label %q not recorded for %q; want one of %s", k, name,
				strings.Join(def.Labels, ", ")), nil)
		}
	}
	t.Metric, t.Selector, t.Def = name, sel, def

	agg, op, limit, col, msg := parseExpression(spec.Threshold, def)
	if msg != "" {
		return fail("threshold", spec.Threshold, col, msg, nil)
	}
	t.Agg, t.Op, t.Limit = agg, op, limit

	if spec.Window != "" && spec.Phase != "" {
		return fail("window", spec.Window, 0, "set window or phase, not both", nil)
	}
	if spec.Window != "" {
		w, col, msg := parseWindow(spec.Window)
		if msg != "" {
			return fail("window", spec.Window, col, msg, nil)
		}
		t.Window = w
	}
	if spec.Phase != "" && !validMetricName(strings.ReplaceAll(spec.Phase, "-", "_")) {
		return fail("phase", spec.Phase, 1, "want a phase name of letters, digits, '_' or '-'", nil)
	}
	if spec.DelayAbortEval != "" {
		d, err := time.ParseDuration(spec.DelayAbortEval)
		if err != nil || d < 0 {
			return fail("delayAbortEval", spec.DelayAbortEval, 1,
				`want a non-negative duration such as "10s" or "1m30s"`, nil)
		}
		t.DelayAbortEval = d
	}
	return t, nil
}

// parseMetricSelector splits "name{k:v,k2:v2}". On a problem it returns a 1-based column
// and a message.
func parseMetricSelector(s string) (name string, sel Labels, col int, msg string) {
	open := strings.IndexByte(s, '{')
	if open < 0 {
		if s == "" {
			return "", nil, 1, "empty metric name"
		}
		return s, nil, 0, ""
	}
	name = s[:open]
	if name == "" {
		return "", nil, 1, "empty metric name before '{'"
	}
	if !strings.HasSuffix(s, "}") {
		return "", nil, len(s) + 1, `missing "}" at the end of the label selector`
	}
	body := s[open+1 : len(s)-1]
	sel = Labels{}
	pos := open + 2
	for _, pair := range strings.Split(body, ",") {
		k, v, ok := strings.Cut(pair, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return "", nil, pos, `want label selector pairs "key:value" separated by ","`
		}
		if _, dup := sel[k]; dup {
			return "", nil, pos, fmt.Sprintf("label %q selected twice", k)
		}
		sel[k] = v
		pos += len(pair) + 1
	}
	return name, sel, 0, ""
}

// parseExpression parses "agg op value[unit]" for a metric of def.
func parseExpression(expr string, def MetricDef) (Aggregation, Op, float64, int, string) {
	p := exprParser{s: expr}
	agg, msg := p.aggregation(def)
	if msg != "" {
		return Aggregation{}, "", 0, p.col(), msg
	}
	op, msg := p.operator()
	if msg != "" {
		return Aggregation{}, "", 0, p.col(), msg
	}
	limit, msg := p.limit(agg, def)
	if msg != "" {
		return Aggregation{}, "", 0, p.col(), msg
	}
	p.skipSpace()
	if p.i < len(p.s) {
		return Aggregation{}, "", 0, p.col(), fmt.Sprintf("unexpected %q after the value", p.s[p.i:])
	}
	return agg, op, limit, 0, ""
}

type exprParser struct {
	s string
	i int
}

func (p *exprParser) col() int { return p.i + 1 }

func (p *exprParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *exprParser) word() string {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= 'a' && p.s[p.i] <= 'z' {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *exprParser) aggregation(def MetricDef) (Aggregation, string) {
	p.skipSpace()
	start := p.i
	allowed := aggregationsByKind[def.Kind]
	want := fmt.Sprintf("want one of %s for %s metric %q", strings.Join(allowed, ", "),
		def.Kind, def.Name)
	w := p.word()
	if w == "" {
		return Aggregation{}, "expected an aggregation; " + want
	}
	agg := Aggregation{Name: w}
	if w == "p" {
		pct, msg := p.percentile()
		if msg != "" {
			return Aggregation{}, msg
		}
		agg.Percentile = pct
	}
	name := w
	if w == "p" {
		name = "p(N)"
	}
	if !slices.Contains(allowed, name) {
		p.i = start
		return Aggregation{}, fmt.Sprintf("aggregation %q not allowed; %s", agg, want)
	}
	return agg, ""
}

func (p *exprParser) percentile() (float64, string) {
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return 0, `expected "(" after p, as in p(99)`
	}
	p.i++
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
		p.i++
	}
	v, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil || v < 0 || v > 100 {
		p.i = start
		return 0, "expected a percentile between 0 and 100, as in p(99.9)"
	}
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		return 0, `expected ")" after the percentile`
	}
	p.i++
	return v, ""
}

func (p *exprParser) operator() (Op, string) {
	p.skipSpace()
	for _, op := range []Op{OpLessEq, OpGreaterEq, OpEqual, OpNotEqual, OpLess, OpGreater} {
		if strings.HasPrefix(p.s[p.i:], string(op)) {
			p.i += len(op)
			return op, ""
		}
	}
	return "", "expected an operator: <, <=, >, >=, == or !="
}

// limit parses the number and its unit and converts it to the metric's unit.
func (p *exprParser) limit(agg Aggregation, def MetricDef) (float64, string) {
	p.skipSpace()
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("0123456789.-+eE", p.s[p.i]) >= 0 {
		// Stop at an exponent-looking letter that is not followed by a digit or sign.
		if (p.s[p.i] == 'e' || p.s[p.i] == 'E') && !p.exponentFollows() {
			break
		}
		p.i++
	}
	v, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil {
		p.i = start
		return 0, "expected a number, as in 250ms, 0.05, 5% or 0"
	}
	unitStart := p.i
	for p.i < len(p.s) && (p.s[p.i] >= 'a' && p.s[p.i] <= 'z' || p.s[p.i] == '%') {
		p.i++
	}
	scaled, msg := applyUnit(v, p.s[unitStart:p.i], agg, def)
	if msg != "" {
		p.i = unitStart
	}
	return scaled, msg
}

func (p *exprParser) exponentFollows() bool {
	j := p.i + 1
	if j < len(p.s) && (p.s[j] == '-' || p.s[j] == '+') {
		j++
	}
	return j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9'
}

// applyUnit converts v written with unit to the metric's unit. Durations accept ms, s and m
// and, as in k6, a bare number means milliseconds; ratios accept % or a bare fraction;
// counts and other units take a bare number.
func applyUnit(v float64, unit string, agg Aggregation, def MetricDef) (float64, string) {
	isDuration := def.Unit == UnitSeconds && agg.Name != "count"
	isRatio := agg.Name == "rate" && def.Kind == KindRate
	switch {
	case isDuration:
		switch unit {
		case "", "ms":
			return v / 1000, ""
		case "s":
			return v, ""
		case "m":
			return v * 60, ""
		}
		return 0, fmt.Sprintf("unit %q not allowed for a duration; want ms, s or m "+
			"(a bare number is milliseconds)", unit)
	case isRatio:
		switch unit {
		case "":
			return v, ""
		case "%":
			return v / 100, ""
		}
		return 0, fmt.Sprintf("unit %q not allowed for a rate; want %% or a bare fraction", unit)
	case unit != "":
		return 0, fmt.Sprintf("unit %q not allowed for %s of %s metric %q (unit %q); "+
			"write a bare number", unit, agg, def.Kind, def.Name, def.Unit)
	}
	return v, ""
}

// parseWindow parses "FROM-TO" with Go durations on either side (either may be empty).
func parseWindow(s string) (Window, int, string) {
	const want = `want "FROM-TO" offsets such as "30s-60s", "1m-" or "-45s"`
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, 1, want
	}
	w := Window{From: 0, To: unbounded}
	if from != "" {
		d, err := time.ParseDuration(strings.TrimSpace(from))
		if err != nil || d < 0 {
			return Window{}, 1, want
		}
		w.From = int(d / time.Second)
	}
	if to != "" {
		d, err := time.ParseDuration(strings.TrimSpace(to))
		if err != nil || d < 0 {
			return Window{}, len(from) + 2, want
		}
		w.To = int((d + time.Second - 1) / time.Second)
	}
	if w.To <= w.From {
		return Window{}, len(from) + 2, "the window ends before it starts"
	}
	return w, 0, ""
}

// unbounded marks a window that runs to the end of the timeline.
const unbounded = int(^uint(0) >> 1)
