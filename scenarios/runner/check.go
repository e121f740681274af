package runner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stampede-load/stampede/scenarios"
)

// ErrUnsupported is wrapped by Check's errors: the scenario is valid, but this build cannot
// run part of it.
var ErrUnsupported = errors.New("not supported by this build")

// Feature keys of Capabilities.Unsupported besides the timeline actions.
const (
	FeatureRegions           = "regions"           // more than one account region
	FeatureMultiRegionWrites = "multiRegionWrites" // account.multiRegionWrites
	FeatureThrottling        = "throttling"        // 429s enforced by the emulator
	FeatureAttacks           = "attacks"           // attacks injected by sensors
	FeatureBackendNodes      = "nodes"             // more than one backend node
	FeatureExternalBackend   = "backendURL"        // target.backendURL
	FeatureExternalCosmos    = "cosmos"            // target.cosmos
)

// ScalingFeature is the feature key of a scaling policy.
func ScalingFeature(policy string) string { return "scaling:" + policy }

// MetricFeature is the feature key of a metric a threshold names.
func MetricFeature(metric string) string { return "metric:" + metric }

// ProfileFeature is the feature key of a rate profile.
func ProfileFeature(profile string) string { return "profile:" + profile }

// Check reports every part of s this build cannot run, each as a *scenarios.FieldError
// naming the field and wrapping ErrUnsupported, joined. It starts nothing.
func Check(s *scenarios.Scenario, caps Capabilities) error {
	c := checker{caps: caps}
	if caps.Missing != "" {
		c.add("target", caps.Missing)
		return c.err()
	}
	c.account(s.Account)
	if s.Backend.Nodes > 1 {
		c.feature("backend.nodes", FeatureBackendNodes)
	}
	c.feature("backend.scaling.policy", ScalingFeature(s.Backend.Scaling.Policy))
	for i, t := range s.Tenants {
		path := fmt.Sprintf("tenants[%d]", i)
		c.feature(path+".profile", ProfileFeature(t.Profile))
		if len(t.Attacks) > 0 {
			c.feature(path+".attacks", FeatureAttacks)
		}
		if t.Scaling != nil {
			c.feature(path+".scaling.policy", ScalingFeature(t.Scaling.Policy))
		}
	}
	for i, e := range s.Timeline {
		c.feature(fmt.Sprintf("timeline[%d].action", i), e.Action)
	}
	for _, mt := range s.Thresholds {
		name, _, _ := strings.Cut(mt.Metric, "{")
		c.feature("thresholds."+mt.Metric, MetricFeature(name))
	}
	if s.Target.BackendURL != "" {
		c.feature("target.backendURL", FeatureExternalBackend)
	}
	if s.Target.Cosmos != nil {
		c.feature("target.cosmos", FeatureExternalCosmos)
	}
	return c.err()
}

type checker struct {
	caps Capabilities
	errs []error
}

func (c *checker) account(a scenarios.Account) {
	if len(a.Regions) > 1 {
		c.feature("account.regions", FeatureRegions)
	}
	if a.MultiRegionWrites {
		c.feature("account.multiRegionWrites", FeatureMultiRegionWrites)
	}
	if *a.Throttling {
		c.feature("account.throttling", FeatureThrottling)
	}
}

func (c *checker) feature(path, key string) {
	if reason, ok := c.caps.Unsupported[key]; ok {
		c.add(path, reason)
	}
}

func (c *checker) add(path, reason string) {
	c.errs = append(c.errs, &scenarios.FieldError{Path: path,
		Msg: fmt.Sprintf("%v: %s", ErrUnsupported, reason)})
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &UnsupportedError{Problems: c.errs}
}

// UnsupportedError lists the parts of a scenario this build cannot run; it matches
// ErrUnsupported with errors.Is.
type UnsupportedError struct {
	Problems []error
}

func (e *UnsupportedError) Error() string { return errors.Join(e.Problems...).Error() }

// Is reports whether target is ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }
