package scenarios

import "time"

// Scenario is one scenario file: what to run, for how long, with which faults, and how the
// result is judged. The zero value of every optional field means "use the default"; call
// [Scenario.WithDefaults] to see the effective values and [Scenario.Validate] to check it.
type Scenario struct {
	// Name identifies the scenario in reports; built-in scenarios use their file name.
	Name string `yaml:"name"`
	// Description is free text shown in reports.
	Description string `yaml:"description,omitempty"`
	// Seed makes organisations, event streams and attack schedules reproducible. 0 means
	// DefaultSeed; the --seed flag overrides it.
	Seed int64 `yaml:"seed,omitempty"`
	// Duration is how long load runs, in real time, before the drain.
	Duration Duration `yaml:"duration"`
	// Drain bounds how long the runner waits at the end for the backend to flush.
	Drain Duration `yaml:"drain,omitempty"`
	// Clock relates the scenario clock (working hours, billing hours) to real time.
	Clock Clock `yaml:"clock,omitempty"`
	// Account describes the Cosmos DB account the embedded emulator provides.
	Account Account `yaml:"account,omitempty"`
	// Tenants lists the organisations whose sensors send events.
	Tenants []Tenant `yaml:"tenants"`
	// Backend configures the reference backend under test.
	Backend Backend `yaml:"backend,omitempty"`
	// Timeline lists the events applied at offsets from the start of the run.
	Timeline []Event `yaml:"timeline,omitempty"`
	// Thresholds maps metric names to k6-style expressions that must hold.
	Thresholds Thresholds `yaml:"thresholds,omitempty"`
	// AcceptedRPO is how many acknowledged events the scenario accepts losing to
	// asynchronous regional failovers and crash restarts (restart-node with mode crash, or
	// a graceful stop killed past its grace period) together; 0 means none may be lost.
	// Only losses those explain are accepted: the failovers' lost writes, and the events
	// the backend reported dropping unstored at a crash.
	AcceptedRPO int64 `yaml:"acceptedRPO,omitempty"`
	// Target says what the runner starts and what it connects to.
	Target Target `yaml:"target,omitempty"`
}

// Clock configures the scenario clock. Rates and RU/s budgets stay per real second; only
// what follows the time of day (working hours, scale-down, billing hours) is compressed.
type Clock struct {
	// Compression is how many scenario seconds pass per real second; 0 means 1.
	Compression float64 `yaml:"compression,omitempty"`
	// Start is the scenario time at offset 0, RFC 3339; empty means DefaultClockStart.
	Start string `yaml:"start,omitempty"`
}

// Account describes the Cosmos DB account.
type Account struct {
	// Regions lists the account's regions; the first is the write region.
	Regions []string `yaml:"regions,omitempty"`
	// Consistency is the default consistency level, one of ConsistencyLevels.
	Consistency string `yaml:"consistency,omitempty"`
	// MultiRegionWrites lets every region accept writes.
	MultiRegionWrites bool `yaml:"multiRegionWrites,omitempty"`
	// Throttling enforces provisioned RU/s with 429s; nil means true.
	Throttling *bool `yaml:"throttling,omitempty"`
	// ReplicationLag is the lag from the write region to the others.
	ReplicationLag Duration `yaml:"replicationLag,omitempty"`
	// ServiceManagedFailover lets the emulator fail over by itself after FailoverDelay.
	ServiceManagedFailover bool `yaml:"serviceManagedFailover,omitempty"`
	// FailoverDelay is how long an outage lasts before a service-managed failover.
	FailoverDelay Duration `yaml:"failoverDelay,omitempty"`
}

// Tenant describes one organisation, or Count identical ones.
type Tenant struct {
	// Name names the tenant; with Count > 1 the tenants are Name-1 ... Name-N.
	Name string `yaml:"name"`
	// Count is how many tenants share this description; 0 means 1.
	Count int `yaml:"count,omitempty"`
	// Size is a preset for Users, Computers and Sensors, one of TenantSizes.
	Size string `yaml:"size,omitempty"`
	// Users, Computers and Sensors override the size preset when set.
	Users     int `yaml:"users,omitempty"`
	Computers int `yaml:"computers,omitempty"`
	Sensors   int `yaml:"sensors,omitempty"`
	// Rate is the tenant's base event rate, in events per real second.
	Rate float64 `yaml:"rate"`
	// Profile shapes the rate over time, one of RateProfiles.
	Profile string `yaml:"profile,omitempty"`
	// Attacks lists attacks injected into this tenant's stream, with known ground truth.
	Attacks []Attack `yaml:"attacks,omitempty"`
	// Scaling overrides the backend's scaling policy for this tenant's containers, so that
	// policies can be compared side by side on the same load.
	Scaling *Scaling `yaml:"scaling,omitempty"`
}

// Attack is one injected attack.
type Attack struct {
	// Kind is one of AttackKinds.
	Kind string `yaml:"kind"`
	// At is the offset from the start of the run.
	At Duration `yaml:"at"`
	// Duration is how long the attack lasts; 0 means DefaultAttackDuration.
	Duration Duration `yaml:"duration,omitempty"`
}

// Backend configures the reference backend.
type Backend struct {
	// Nodes is the number of backend nodes sharing the work; 0 means 1.
	Nodes int `yaml:"nodes,omitempty"`
	// FlushInterval is the write-behind flush interval; 0 means DefaultFlushInterval.
	FlushInterval Duration `yaml:"flushInterval,omitempty"`
	// SchemaVersion is the document schema version the backend starts at; 0 means 1.
	SchemaVersion int `yaml:"schemaVersion,omitempty"`
	// FlushConcurrency bounds each node's concurrent Cosmos DB writes; 0 means the
	// backend's default (backend.DefaultFlushConcurrency).
	FlushConcurrency int `yaml:"flushConcurrency,omitempty"`
	// Throttle is the backend's 429 retry policy.
	Throttle Throttle `yaml:"throttle,omitempty"`
	// Scaling is the scaling policy for every tenant without its own.
	Scaling Scaling `yaml:"scaling,omitempty"`
}

// Throttle is the backend's retry policy for 429 answers.
type Throttle struct {
	// MaxAttempts bounds the attempts per request; 0 means DefaultThrottleAttempts.
	MaxAttempts int `yaml:"maxAttempts,omitempty"`
	// MaxWait bounds the total wait per request; 0 means DefaultThrottleWait.
	MaxWait Duration `yaml:"maxWait,omitempty"`
}

// Scaling is how a tenant's containers get their throughput.
type Scaling struct {
	// Policy is one of ScalingPolicies: manual (fixed RU/s), elastic (the scaler service)
	// or autoscale (Cosmos autoscale between 10% and 100% of MaxRU).
	Policy string `yaml:"policy,omitempty"`
	// RU is the provisioned RU/s per container for manual and the starting RU/s for elastic.
	RU int `yaml:"ru,omitempty"`
	// MaxRU is the autoscale maximum, or the elastic scaler's ceiling.
	MaxRU int `yaml:"maxRU,omitempty"`
	// Window is how long the elastic scaler aggregates scale-up requests per container.
	Window Duration `yaml:"window,omitempty"`
}

// Event is one timeline entry. Which fields apply depends on Action; a field that does not
// apply to the action is a validation error, so a typo never goes unnoticed.
type Event struct {
	// At is the offset from the start of the run.
	At Duration `yaml:"at"`
	// Action is one of Actions.
	Action string `yaml:"action"`
	// Name labels the phase this event opens, for thresholds with a phase; empty means
	// the action name.
	Name string `yaml:"name,omitempty"`
	// Duration is how long a burst, ramp, sweep or region outage lasts, or how long a
	// restarted node stays down.
	Duration Duration `yaml:"duration,omitempty"`
	// Multiplier scales the base rate: the burst level, or the end of a ramp.
	Multiplier float64 `yaml:"multiplier,omitempty"`
	// Steps is the number of equal load steps of a sweep.
	Steps int `yaml:"steps,omitempty"`
	// Tenants limits a load change to these tenants; empty means all.
	Tenants []string `yaml:"tenants,omitempty"`
	// Region names the region of region-down, region-up and failover.
	Region string `yaml:"region,omitempty"`
	// Mode is how a region goes down, one of OutageModes, or how a node restarts, one of
	// RestartModes (empty: RestartGraceful).
	Mode string `yaml:"mode,omitempty"`
	// SchemaVersion is the version an upgrade moves to.
	SchemaVersion int `yaml:"schemaVersion,omitempty"`
	// Node is the backend node restarted by restart-node, counted from 1.
	Node int `yaml:"node,omitempty"`
	// GracePeriod bounds a graceful restart-node: past it the node is killed and what it
	// still holds is dropped; 0 means DefaultGracePeriod.
	GracePeriod Duration `yaml:"gracePeriod,omitempty"`
}

// Target says where the parts under test run.
type Target struct {
	// Kind is embedded (emulator, backend and sensors in one process) or external.
	Kind string `yaml:"kind,omitempty"`
	// BackendURL is an external backend's base URL (ingest and admin API); sensors run
	// here.
	BackendURL string `yaml:"backendURL,omitempty"`
	// AdminTokenEnv names the environment variable holding the bearer token of the
	// external backend's admin API (onboarding, drain, conservation); required with
	// BackendURL. Tokens never belong in scenario files or reports.
	AdminTokenEnv string `yaml:"adminTokenEnv,omitempty"`
	// Cosmos is an external Cosmos DB account; backend and sensors run here.
	Cosmos *CosmosEndpoint `yaml:"cosmos,omitempty"`
}

// CosmosEndpoint is an external Cosmos DB account: one at an endpoint (real Azure, or
// Microsoft's emulator already running), or Microsoft's emulator started for the run.
type CosmosEndpoint struct {
	// Endpoint is the account URL, such as https://myaccount.documents.azure.com:443/.
	Endpoint string `yaml:"endpoint,omitempty"`
	// KeyEnv names the environment variable holding the account key; keys never belong
	// in scenario files or reports.
	KeyEnv string `yaml:"keyEnv,omitempty"`
	// Emulator, instead of Endpoint and KeyEnv, starts an emulator for the run: microsoft
	// is Microsoft's Linux emulator in Docker (testcontainers-go), with its well-known key.
	Emulator string `yaml:"emulator,omitempty"`
}

// Emulators a run can start as its external account.
const EmulatorMicrosoft = "microsoft"

// CosmosEmulators are the allowed values of target.cosmos.emulator.
var CosmosEmulators = []string{EmulatorMicrosoft}

// Scaling policies.
const (
	ScalingManual    = "manual"
	ScalingElastic   = "elastic"
	ScalingAutoscale = "autoscale"
)

// Defaults of the optional fields.
const (
	DefaultSeed             = 1
	DefaultDrain            = Duration(30 * time.Second)
	DefaultClockStart       = "2026-01-05T08:00:00Z" // a Monday, start of the working day
	DefaultRegion           = "local"
	DefaultConsistency      = "session"
	DefaultFailoverDelay    = Duration(5 * time.Second)
	DefaultTenantSize       = "small"
	DefaultRateProfile      = "constant"
	DefaultAttackDuration   = Duration(10 * time.Second)
	DefaultFlushInterval    = Duration(time.Second)
	DefaultThrottleAttempts = 9
	DefaultThrottleWait     = Duration(30 * time.Second)
	DefaultScalingPolicy    = ScalingManual
	DefaultManualRU         = 400
	DefaultScalerWindow     = Duration(5 * time.Second)
	DefaultOutageMode       = "refuse"
	DefaultGracePeriod      = Duration(30 * time.Second) // as Kubernetes' default
	RestartGraceful         = "graceful"
	RestartCrash            = "crash"
	TargetEmbedded          = "embedded"
	TargetExternal          = "external"
)

// Allowed values of the enumerated fields.
var (
	ConsistencyLevels = []string{"strong", "bounded-staleness", "session", "consistent-prefix",
		"eventual"}
	TenantSizes  = []string{"tiny", "small", "medium", "large"}
	RateProfiles = []string{"constant", "diurnal", "bursty"}
	AttackKinds  = []string{"brute-force", "password-spray", "kerberoasting", "pass-the-ticket",
		"pass-the-hash", "reconnaissance", "lateral-movement"}
	ScalingPolicies = []string{ScalingManual, ScalingElastic, ScalingAutoscale}
	OutageModes     = []string{"refuse", "503", "timeout"}
	RestartModes    = []string{RestartGraceful, RestartCrash}
	TargetKinds     = []string{TargetEmbedded, TargetExternal}
)

// SizePreset is the population of a tenant size.
type SizePreset struct{ Users, Computers, Sensors int }

// SizePresets maps each of TenantSizes to its population.
var SizePresets = map[string]SizePreset{
	"tiny":   {Users: 20, Computers: 10, Sensors: 1},
	"small":  {Users: 500, Computers: 250, Sensors: 4},
	"medium": {Users: 5_000, Computers: 2_500, Sensors: 20},
	"large":  {Users: 100_000, Computers: 50_000, Sensors: 200},
}
