package scenarios

import (
	"go.yaml.in/yaml/v3"

	"github.com/stampede-load/stampede/reports"
)

// Thresholds are the pass/fail rules of a scenario, in file order: each metric (or
// labelled sub-metric, such as cosmos_latency{op:upsert}) with its rules. In the file they
// are a mapping from metric to a list of rules, as in k6.
type Thresholds []MetricThresholds

// MetricThresholds is the list of rules of one metric.
type MetricThresholds struct {
	Metric string
	Rules  []Threshold
}

// Threshold is one rule. In the file it is either the expression alone
// (- p(99)<250ms) or a mapping with the options below.
type Threshold struct {
	// Expr is the k6-style expression, such as p(99)<250ms, rate<0.05 or count==0.
	Expr string `yaml:"threshold"`
	// AbortOnFail stops the run as soon as the rule fails (after DelayAbortEval).
	AbortOnFail bool `yaml:"abortOnFail,omitempty"`
	// DelayAbortEval lets the run warm up before an abort-on-fail rule is evaluated.
	DelayAbortEval Duration `yaml:"delayAbortEval,omitempty"`
	// Window limits the rule to a part of the run, as FROM-TO offsets such as 30s-60s,
	// 1m- (to the end) or -45s (from the start).
	Window string `yaml:"window,omitempty"`
	// Phase limits the rule to a phase opened by a timeline event (its name or action).
	Phase string `yaml:"phase,omitempty"`
}

func (t *Thresholds) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping from metric name to a list of rules, got a %s",
			kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		metricPath := joinPath(path, key.Value)
		d.positions[metricPath] = position{key.Line, key.Column}
		mt := MetricThresholds{Metric: key.Value}
		d.decode(val, reflectValue(&mt.Rules), metricPath)
		*t = append(*t, mt)
	}
}

func (t *Threshold) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		t.Expr = n.Value
		return
	}
	type plain Threshold // without decodeNode, so the struct is decoded field by field
	d.decode(n, reflectValue((*plain)(t)), path)
}

// MarshalYAML writes the thresholds back as the mapping the file uses.
func (t Thresholds) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, mt := range t {
		val := &yaml.Node{}
		if err := val.Encode(mt.Rules); err != nil {
			return nil, err
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: mt.Metric}, val)
	}
	return m, nil
}

// MarshalYAML writes a rule without options as its bare expression.
func (t Threshold) MarshalYAML() (any, error) {
	if t == (Threshold{Expr: t.Expr}) {
		return t.Expr, nil
	}
	type plain Threshold
	return plain(t), nil
}

// spec converts t to the reports package's form.
func (t Threshold) spec() reports.ThresholdSpec {
	spec := reports.ThresholdSpec{Threshold: t.Expr, Window: t.Window, Phase: t.Phase,
		AbortOnFail: t.AbortOnFail}
	if t.DelayAbortEval != 0 {
		spec.DelayAbortEval = t.DelayAbortEval.String()
	}
	return spec
}
