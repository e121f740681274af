package scenarios

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written in scenario files with a unit: 500ms, 90s, 5m, 1h30m.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d as Go does, such as 1m30s.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d with its unit, so an effective scenario reads back the same.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ParseDuration parses a scenario duration. A bare number is refused because its unit
// would be a guess.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration with a unit such as 90s, 5m or 1h30m, got %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("want a duration of 0 or more, got %q", s)
	}
	return Duration(d), nil
}

func (d *Duration) decodeNode(dec *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		dec.fail(n, path, "want a duration such as 90s, got a %s", kindName(n))
		return
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		dec.fail(n, path, "%s", err.Error())
		return
	}
	*d = v
}
