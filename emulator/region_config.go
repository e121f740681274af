package emulator

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"time"
)

// Consistency is an account's default consistency level, spelled as the service does.
type Consistency string

// The five consistency levels, strongest first.
const (
	Strong           Consistency = "Strong"
	BoundedStaleness Consistency = "BoundedStaleness"
	Session          Consistency = "Session"
	ConsistentPrefix Consistency = "ConsistentPrefix"
	Eventual         Consistency = "Eventual"
)

// consistencyLevels lists the levels strongest first; the index is the strength rank.
var consistencyLevels = []Consistency{Strong, BoundedStaleness, Session, ConsistentPrefix, Eventual}

// ParseConsistency reads a level case-insensitively, with or without dashes, so "Session",
// "session" and "bounded-staleness" are all accepted.
func ParseConsistency(s string) (Consistency, error) {
	norm := strings.ToLower(strings.NewReplacer("-", "", "_", "", " ", "").Replace(s))
	for _, c := range consistencyLevels {
		if strings.ToLower(string(c)) == norm {
			return c, nil
		}
	}
	return "", fmt.Errorf("consistency %q: want one of strong, bounded-staleness, session, "+
		"consistent-prefix, eventual", s)
}

// rank orders levels: 0 is Strong; an unknown level ranks weakest.
func (c Consistency) rank() int {
	for i, l := range consistencyLevels {
		if l == c {
			return i
		}
	}
	return len(consistencyLevels)
}

// OutageMode is how a region that is down looks to clients.
type OutageMode string

// The outage modes.
const (
	// OutageRefuse closes the region's listener: connections are refused (the SDK retries
	// 3 times a second apart, then marks the region unavailable for 5 minutes).
	OutageRefuse OutageMode = "refuse"
	// Outage503 answers every request with 503 Service Unavailable.
	Outage503 OutageMode = "503"
	// OutageTimeout accepts connections and never answers (the client's timeout decides).
	OutageTimeout OutageMode = "timeout"
)

// ParseOutageMode reads "refuse", "503" or "timeout".
func ParseOutageMode(s string) (OutageMode, error) {
	switch m := OutageMode(strings.ToLower(strings.TrimSpace(s))); m {
	case OutageRefuse, Outage503, OutageTimeout:
		return m, nil
	}
	return "", fmt.Errorf("outage mode %q: want refuse, 503 or timeout", s)
}

// Defaults of RegionsConfig.
const (
	// DefaultMaxStalenessPrefix is K of bounded staleness: the service's multi-region minimum.
	DefaultMaxStalenessPrefix = 100_000
	// DefaultMaxStalenessInterval is T of bounded staleness: the multi-region minimum.
	DefaultMaxStalenessInterval = 300 * time.Second
	// DefaultFailoverDelay is how long a write region must be down before a service-managed
	// failover.
	DefaultFailoverDelay = 10 * time.Second
	// DefaultLagSampleInterval is how often replication lag is recorded for the drill report.
	DefaultLagSampleInterval = time.Second
	// maxLagSamples bounds the lag history kept (per region, oldest dropped first).
	maxLagSamples = 3600
	// DefaultMaxQueuedWhileDown is how many writes a down read region queues (about 300
	// bytes each, plus the versions they keep alive) before it is resynchronised instead.
	DefaultMaxQueuedWhileDown = 1 << 20
)

// RegionsConfig configures the regions of an Account. The zero value of each field but
// Regions has a documented default.
type RegionsConfig struct {
	// Regions names the account's regions in failover priority order; the first is the write
	// region (unless DataDir recorded another one at a failover). Names are compared as the
	// SDK does (whitespace removed, case folded), so "West US 2" and "westus2" are the same
	// region. At least one is required.
	Regions []string
	// Addrs are the regional listen addresses (host:port), one per region; empty means
	// 127.0.0.1 on a free port for each. A port, once bound, is kept across outages.
	Addrs []string
	// Consistency is the account's default level. Zero means Session.
	Consistency Consistency
	// MaxStalenessPrefix (K) and MaxStalenessInterval (T) bound BoundedStaleness: a write is
	// answered 429 while an up read region is more than K writes or T behind. Zero means
	// DefaultMaxStalenessPrefix and DefaultMaxStalenessInterval.
	MaxStalenessPrefix   int64
	MaxStalenessInterval time.Duration
	// Lag is the replication lag from a writing region to each other region.
	Lag Lag
	// MultiRegionWrites lets every region accept document writes; concurrent writes to
	// one document are resolved last-writer-wins on ConflictResolutionPath. Database,
	// container and offer writes still go to the write region (the hub).
	MultiRegionWrites bool
	// ConflictResolutionPath is the numeric property last-writer-wins compares, e.g.
	// "/version". Zero means "/_ts" (the commit time).
	ConflictResolutionPath string
	// ServiceManagedFailover makes the emulator fail over by itself once the write region
	// has been down for FailoverDelay, to the next region in priority order that is up.
	ServiceManagedFailover bool
	// FailoverDelay is the detection delay of service-managed failover. Zero means
	// DefaultFailoverDelay.
	FailoverDelay time.Duration
	// LagSampleInterval is how often replication lag is sampled for the report. Zero means
	// DefaultLagSampleInterval.
	LagSampleInterval time.Duration
	// DataDir makes the account durable: every acknowledged write is on disk there (a
	// write-ahead log with group commit and periodic snapshots) and is recovered on start.
	// With MultiRegionWrites every region's writes are logged, and recovered by
	// last-writer-wins into every region. Empty keeps the account in memory only.
	DataDir string
	// MaxQueuedWhileDown bounds the writes a read region that is down queues for when it
	// returns. Past it the queue is dropped, and the region is resynchronised from the write
	// region (a copy of its documents) when it comes back, so a long outage under load costs
	// bounded memory. Zero means DefaultMaxQueuedWhileDown; negative never drops. Not
	// with MultiRegionWrites, where every region's queue is kept (a region that is down
	// still holds writes of its own the others lack).
	MaxQueuedWhileDown int
	// SnapshotBytes is how much log accumulates before a snapshot. Zero means
	// DefaultSnapshotBytes; negative never snapshots (recovery replays the whole log).
	SnapshotBytes int64
	// Backup configures periodic backups (off without Backup.Dir).
	Backup BackupConfig
	// RestoreFrom is a backup data file (backup-….bin, its manifest beside it) the account
	// starts from: a new account holding exactly the backup's data. With DataDir, the data
	// directory must be new.
	RestoreFrom string
}

func (c RegionsConfig) withDefaults() RegionsConfig {
	if c.Consistency == "" {
		c.Consistency = Session
	}
	if c.MaxStalenessPrefix == 0 {
		c.MaxStalenessPrefix = DefaultMaxStalenessPrefix
	}
	if c.MaxStalenessInterval == 0 {
		c.MaxStalenessInterval = DefaultMaxStalenessInterval
	}
	if c.FailoverDelay == 0 {
		c.FailoverDelay = DefaultFailoverDelay
	}
	if c.LagSampleInterval == 0 {
		c.LagSampleInterval = DefaultLagSampleInterval
	}
	if c.MaxQueuedWhileDown == 0 {
		c.MaxQueuedWhileDown = DefaultMaxQueuedWhileDown
	}
	if c.SnapshotBytes == 0 {
		c.SnapshotBytes = DefaultSnapshotBytes
	}
	return c
}

// Validate reports every problem of c, joined. It does not modify c.
func (c RegionsConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Regions) == 0 {
		errs = append(errs, errors.New("regions: want at least one region name"))
	}
	seen := map[string]bool{}
	for i, name := range c.Regions {
		canon := canonicalRegion(name)
		switch {
		case canon == "":
			errs = append(errs, fmt.Errorf("regions[%d]: empty region name", i))
		case seen[canon]:
			errs = append(errs, fmt.Errorf("regions[%d] %q: listed twice", i, name))
		}
		seen[canon] = true
	}
	if len(c.Addrs) != 0 && len(c.Addrs) != len(c.Regions) {
		errs = append(errs, fmt.Errorf("addrs: %d given for %d regions; give one per region "+
			"or none", len(c.Addrs), len(c.Regions)))
	}
	for i, a := range c.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("addrs[%d] %q: want host:port", i, a))
		}
	}
	if c.Consistency.rank() >= len(consistencyLevels) {
		errs = append(errs, fmt.Errorf("consistency %q: want one of %v", c.Consistency,
			consistencyLevels))
	}
	if c.MaxStalenessPrefix < 0 {
		errs = append(errs, fmt.Errorf("max staleness prefix %d: want > 0", c.MaxStalenessPrefix))
	}
	if c.MaxStalenessInterval < 0 || c.FailoverDelay < 0 || c.LagSampleInterval < 0 {
		errs = append(errs, errors.New("max staleness interval, failover delay and lag sample "+
			"interval: want >= 0"))
	}
	if err := c.Lag.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("lag: %w", err))
	}
	if c.MultiRegionWrites && c.Consistency == Strong {
		errs = append(errs, errors.New("consistency Strong cannot be combined with "+
			"multi-region writes"))
	}
	if p := c.ConflictResolutionPath; p != "" && (!strings.HasPrefix(p, "/") || p == "/") {
		errs = append(errs, fmt.Errorf("conflict resolution path %q: want a path such as "+
			"/_ts or /version", p))
	}
	if err := c.Backup.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("backup: %w", err))
	}
	return errors.Join(errs...)
}

// canonicalRegion is a region name as the SDK compares it: whitespace removed, lowercased.
func canonicalRegion(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), ""))
}

// Lag distributions.
const (
	LagFixed       = "fixed"
	LagUniform     = "uniform"
	LagExponential = "exponential"
)

// Lag is the replication lag of one write to one region: Fixed (Min), Uniform in
// [Min, Max], or Exponential with mean Min, capped at Max when Max > 0. Lags are drawn per
// write and per region from a source seeded with Seed; writes are still applied in commit
// order, so a short lag never overtakes a longer one before it. The zero value is no lag.
type Lag struct {
	Distribution string
	Min, Max     time.Duration
	Seed         uint64
}

// ParseLag reads a lag: "50ms" (fixed), "uniform:20ms-80ms" or "exponential:50ms" (mean),
// optionally "exponential:50ms-2s" (capped).
func ParseLag(s string) (Lag, error) {
	kind, spec, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		kind, spec = LagFixed, s
	}
	lo, hi, ranged := strings.Cut(spec, "-")
	var l Lag
	var err error
	l.Distribution = strings.ToLower(kind)
	if l.Min, err = time.ParseDuration(strings.TrimSpace(lo)); err != nil {
		return Lag{}, fmt.Errorf("lag %q: %q is not a duration such as 50ms", s, lo)
	}
	if ranged && (l.Distribution == LagFixed || l.Distribution == "") {
		return Lag{}, fmt.Errorf("lag %q: a fixed lag takes one duration; use "+
			"uniform:MIN-MAX for a range", s)
	}
	if ranged {
		if l.Max, err = time.ParseDuration(strings.TrimSpace(hi)); err != nil {
			return Lag{}, fmt.Errorf("lag %q: %q is not a duration such as 80ms", s, hi)
		}
	}
	if err := l.Validate(); err != nil {
		return Lag{}, fmt.Errorf("lag %q: %w", s, err)
	}
	return l, nil
}

// Validate reports what is wrong with l.
func (l Lag) Validate() error {
	switch l.Distribution {
	case "", LagFixed:
	case LagUniform:
		if l.Max < l.Min {
			return fmt.Errorf("uniform lag needs min <= max, got %v-%v", l.Min, l.Max)
		}
	case LagExponential:
		if l.Max != 0 && l.Max < l.Min {
			return fmt.Errorf("exponential lag cap %v is below its mean %v", l.Max, l.Min)
		}
	default:
		return fmt.Errorf("distribution %q: want fixed, uniform or exponential", l.Distribution)
	}
	if l.Min < 0 || l.Max < 0 {
		return errors.New("lag durations must be >= 0")
	}
	return nil
}

func (l Lag) String() string {
	switch l.Distribution {
	case LagUniform:
		return fmt.Sprintf("uniform:%v-%v", l.Min, l.Max)
	case LagExponential:
		if l.Max > 0 {
			return fmt.Sprintf("exponential:%v-%v", l.Min, l.Max)
		}
		return fmt.Sprintf("exponential:%v", l.Min)
	}
	return l.Min.String()
}

// lagSource draws lags from one Lag. It is not safe for concurrent use.
type lagSource struct {
	lag Lag
	rng *rand.Rand
}

func newLagSource(l Lag, stream uint64) *lagSource {
	return &lagSource{lag: l, rng: rand.New(rand.NewPCG(l.Seed, stream))}
}

func (s *lagSource) next() time.Duration {
	l := s.lag
	switch l.Distribution {
	case LagUniform:
		return l.Min + time.Duration(s.rng.Int64N(int64(l.Max-l.Min)+1))
	case LagExponential:
		d := time.Duration(float64(l.Min) * s.rng.ExpFloat64())
		if l.Max > 0 {
			d = min(d, l.Max)
		}
		return time.Duration(math.Max(0, float64(d)))
	}
	return l.Min
}
