package scenarios

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stampede-load/stampede/reports"
)

// Limits that keep a scenario within what one run can do.
const (
	MaxDuration    = Duration(7 * 24 * time.Hour)
	MaxTenantCount = 10_000
	MaxNodes       = 64
	MaxRegions     = 8
	MaxSweepSteps  = 100
	// MaxFlushConcurrency bounds backend.flushConcurrency.
	MaxFlushConcurrency = 1024
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// envName is the shape of an environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the effective scenario (see WithDefaults) and returns every problem
// found, joined, each a *FieldError naming the field path. It does not change s.
func (s Scenario) Validate() error {
	v := &validator{}
	v.scenario(s)
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) oneOf(path, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.add(path, "unknown value %q%s", got, allowedHint(got, allowed))
	}
}

func (v *validator) scenario(s Scenario) {
	if s.Name == "" {
		v.add("name", "required: a short name for reports")
	}
	switch {
	case s.Duration == 0:
		v.add("duration", "required: how long load runs, such as 60s or 5m")
	case s.Duration > MaxDuration:
		v.add("duration", "want at most %s, got %s", MaxDuration, s.Duration)
	}
	if s.Clock.Compression <= 0 || s.Clock.Compression > 100_000 {
		v.add("clock.compression", "want a factor above 0 and at most 100000, got %g",
			s.Clock.Compression)
	}
	if _, err := time.Parse(time.RFC3339, s.Clock.Start); err != nil {
		v.add("clock.start", "want an RFC 3339 time such as %s, got %q", DefaultClockStart,
			s.Clock.Start)
	}
	if s.AcceptedRPO < 0 {
		v.add("acceptedRPO", "want 0 or more acknowledged events, got %d", s.AcceptedRPO)
	}
	v.account(s.Account)
	names := v.tenants(s)
	v.backend(s.Backend)
	v.timeline(s, names)
	v.thresholds(s)
	v.target(s.Target)
}

func (v *validator) account(a Account) {
	if len(a.Regions) > MaxRegions {
		v.add("account.regions", "at most %d regions, got %d", MaxRegions, len(a.Regions))
	}
	for i, r := range a.Regions {
		path := fmt.Sprintf("account.regions[%d]", i)
		if !namePattern.MatchString(r) {
			v.add(path, "want a region name of lowercase letters, digits and -, got %q", r)
		}
		if slices.Index(a.Regions, r) < i {
			v.add(path, "region %q is listed twice", r)
		}
	}
	v.oneOf("account.consistency", a.Consistency, ConsistencyLevels)
	if a.Consistency == "strong" && a.MultiRegionWrites {
		v.add("account.consistency", "strong consistency cannot be combined with "+
			"multiRegionWrites (the service refuses it)")
	}
	if a.FailoverDelay != 0 && !a.ServiceManagedFailover {
		v.add("account.failoverDelay", "only applies with serviceManagedFailover: true")
	}
}

// tenants checks the tenants and returns every tenant name and group name.
func (v *validator) tenants(s Scenario) []string {
	if len(s.Tenants) == 0 {
		v.add("tenants", "at least one tenant is required")
	}
	var names []string
	for i, t := range s.Tenants {
		path := fmt.Sprintf("tenants[%d]", i)
		v.tenant(s, t, path)
		own := []string{t.Name}
		if t.Count > 1 {
			own = append(own, t.TenantNames()...)
		}
		for _, name := range own {
			if t.Name != "" && slices.Contains(names, name) {
				v.add(path+".name", "tenant name %q is used twice", name)
			}
		}
		names = append(names, own...)
	}
	return names
}

func (v *validator) tenant(s Scenario, t Tenant, path string) {
	if !namePattern.MatchString(t.Name) {
		v.add(path+".name", "want a name of lowercase letters, digits and - (at most 63), got %q",
			t.Name)
	}
	if t.Count < 1 || t.Count > MaxTenantCount {
		v.add(path+".count", "want 1 to %d, got %d", MaxTenantCount, t.Count)
	}
	v.oneOf(path+".size", t.Size, TenantSizes)
	if _, known := SizePresets[t.Size]; known {
		v.population(t, path)
	}
	if t.Rate == 0 {
		v.add(path+".rate", "required: the base rate in events per second, such as 1000")
	} else if t.Rate < 0 || t.Rate > 10_000_000 {
		v.add(path+".rate", "want events per second above 0 and at most 10000000, got %g", t.Rate)
	}
	v.oneOf(path+".profile", t.Profile, RateProfiles)
	for j, a := range t.Attacks {
		ap := fmt.Sprintf("%s.attacks[%d]", path, j)
		v.oneOf(ap+".kind", a.Kind, AttackKinds)
		if s.Duration > 0 && a.At+a.Duration > s.Duration {
			v.add(ap+".at", "attack from %s for %s ends after the run (%s)", a.At, a.Duration,
				s.Duration)
		}
	}
	if t.Scaling != nil {
		v.scaling(*t.Scaling, path+".scaling")
	}
}

// population checks the tenant's entity counts (once a known size preset filled them).
func (v *validator) population(t Tenant, path string) {
	for _, f := range []struct {
		name string
		n    int
	}{{"users", t.Users}, {"computers", t.Computers}, {"sensors", t.Sensors}} {
		if f.n < 1 || f.n > 1_000_000 {
			v.add(path+"."+f.name, "want 1 to 1000000, got %d", f.n)
		}
	}
}

func (v *validator) backend(b Backend) {
	if b.Nodes < 1 || b.Nodes > MaxNodes {
		v.add("backend.nodes", "want 1 to %d, got %d", MaxNodes, b.Nodes)
	}
	if b.FlushInterval <= 0 || b.FlushInterval > Duration(time.Minute) {
		v.add("backend.flushInterval", "want above 0s and at most 1m, got %s", b.FlushInterval)
	}
	if b.SchemaVersion < 1 {
		v.add("backend.schemaVersion", "want 1 or more, got %d", b.SchemaVersion)
	}
	if b.FlushConcurrency < 0 || b.FlushConcurrency > MaxFlushConcurrency {
		v.add("backend.flushConcurrency", "want 1 to %d (or leave out for the backend's "+
			"default), got %d", MaxFlushConcurrency, b.FlushConcurrency)
	}
	if b.Throttle.MaxAttempts < 1 || b.Throttle.MaxAttempts > 100 {
		v.add("backend.throttle.maxAttempts", "want 1 to 100, got %d", b.Throttle.MaxAttempts)
	}
	v.scaling(b.Scaling, "backend.scaling")
}

func (v *validator) scaling(s Scaling, path string) {
	v.oneOf(path+".policy", s.Policy, ScalingPolicies)
	switch s.Policy {
	case "manual":
		v.ru(path+".ru", s.RU, 400)
		if s.MaxRU != 0 {
			v.add(path+".maxRU", "does not apply to policy manual (use ru)")
		}
	case "elastic":
		v.ru(path+".ru", s.RU, 400)
		v.ru(path+".maxRU", s.MaxRU, 400)
		if s.MaxRU < s.RU {
			v.add(path+".maxRU", "the ceiling %d is below the starting ru %d", s.MaxRU, s.RU)
		}
	case "autoscale":
		if s.MaxRU < 1000 || s.MaxRU%1000 != 0 {
			v.add(path+".maxRU", "autoscale needs a maximum of 1000 RU/s or more in steps of "+
				"1000, got %d", s.MaxRU)
		}
		if s.RU != 0 {
			v.add(path+".ru", "does not apply to policy autoscale (use maxRU)")
		}
	}
	if s.Window != 0 && s.Policy != "elastic" {
		v.add(path+".window", "only applies to policy elastic")
	}
}

func (v *validator) ru(path string, ru, least int) {
	if ru < least || ru%100 != 0 || ru > 1_000_000 {
		v.add(path, "want RU/s of at least %d in steps of 100 (at most 1000000), got %d", least, ru)
	}
}

func (v *validator) target(t Target) {
	v.oneOf("target.kind", t.Kind, TargetKinds)
	switch t.Kind {
	case TargetEmbedded:
		if t.BackendURL != "" || t.Cosmos != nil {
			v.add("target.kind", "embedded runs everything in process; backendURL and cosmos "+
				"need kind: external")
		}
	case TargetExternal:
		if (t.BackendURL == "") == (t.Cosmos == nil) {
			v.add("target", "external needs exactly one of backendURL or cosmos")
		}
	}
	if t.BackendURL != "" {
		v.httpURL("target.backendURL", t.BackendURL)
		if t.AdminTokenEnv == "" {
			v.add("target.adminTokenEnv", "required with backendURL: the environment "+
				"variable with the backend's admin token (stampede backend --admin-token)")
		}
	}
	if t.AdminTokenEnv != "" {
		if t.BackendURL == "" {
			v.add("target.adminTokenEnv", "only applies with backendURL")
		}
		if !envName.MatchString(t.AdminTokenEnv) {
			v.add("target.adminTokenEnv", "want the name of an environment variable "+
				"(letters, digits and _, not starting with a digit), got %q", t.AdminTokenEnv)
		}
	}
	if c := t.Cosmos; c != nil && c.Emulator != "" {
		v.oneOf("target.cosmos.emulator", c.Emulator, CosmosEmulators)
		if c.Endpoint != "" || c.KeyEnv != "" {
			v.add("target.cosmos.emulator", "starts its own account: leave out endpoint and "+
				"keyEnv")
		}
	} else if c != nil {
		v.httpURL("target.cosmos.endpoint", c.Endpoint)
		if c.KeyEnv == "" {
			v.add("target.cosmos.keyEnv", "required: the environment variable with the key")
		}
	}
}

func (v *validator) httpURL(path, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.add(path, "want an http or https URL, got %q", raw)
	}
}

func (v *validator) thresholds(s Scenario) {
	phases := s.Phases()
	catalog := reports.DefaultCatalog()
	for _, mt := range s.Thresholds {
		path := "thresholds." + mt.Metric
		if len(mt.Rules) == 0 {
			v.add(path, "want at least one rule, such as p(99)<250ms")
		}
		for i, rule := range mt.Rules {
			rp := fmt.Sprintf("%s[%d]", path, i)
			if strings.TrimSpace(rule.Expr) == "" {
				v.add(rp, "want an expression such as p(99)<250ms, rate<0.05 or count==0")
				continue
			}
			if rule.Phase != "" && !slices.Contains(phases, rule.Phase) {
				v.add(rp+".phase", "no timeline event opens phase %q%s", rule.Phase,
					allowedHint(rule.Phase, phases))
			}
			t, err := reports.ParseThreshold(catalog, mt.Metric, rule.spec())
			if err != nil {
				v.thresholdError(path, rp, err)
				continue
			}
			if s.Duration > 0 && t.WindowText != "" && t.Window.To < math.MaxInt &&
				Duration(t.Window.To)*Duration(time.Second) > s.Duration {
				v.add(rp+".window", "window ends at %ds, after the run (%s)", t.Window.To,
					s.Duration)
			}
		}
	}
}

// thresholdError reports a threshold parse error at the field it names.
func (v *validator) thresholdError(metricPath, rulePath string, err error) {
	var te *reports.ThresholdError
	if !errors.As(err, &te) {
		v.add(rulePath, "%v", err)
		return
	}
	switch te.Field {
	case "metric":
		v.add(metricPath, "%s", te.Msg)
	case "threshold":
		v.add(rulePath, "expression %q: %s", te.Input, te.Msg)
	default:
		v.add(rulePath+"."+te.Field, "%q: %s", te.Input, te.Msg)
	}
}

// ReportThresholds parses the scenario's thresholds for evaluation by the reports package.
func (s Scenario) ReportThresholds(c *reports.Catalog) ([]reports.Threshold, error) {
	var out []reports.Threshold
	var errs []error
	for _, mt := range s.Thresholds {
		for _, rule := range mt.Rules {
			t, err := reports.ParseThreshold(c, mt.Metric, rule.spec())
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, t)
		}
	}
	return out, errors.Join(errs...)
}

// PhaseSteady is the phase of the run outside every timeline event: from the start to the
// first event, and after an event with a duration ends.
const PhaseSteady = "steady"

// Phases returns PhaseSteady and the phase names the timeline opens, in timeline order,
// without repeats.
func (s Scenario) Phases() []string {
	phases := []string{PhaseSteady}
	for _, e := range s.Timeline {
		if !slices.Contains(phases, e.Phase()) {
			phases = append(phases, e.Phase())
		}
	}
	return phases
}
