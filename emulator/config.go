package emulator

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// DefaultKey is the well-known account key of Microsoft's Cosmos DB emulator, so clients
// written for that emulator connect unchanged.
const DefaultKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="

// Defaults of Config.
const (
	// DefaultAddr is the listen address for embedded use: loopback, any free port.
	DefaultAddr = "127.0.0.1:0"
	// DefaultRegion is the region Microsoft's emulator advertises.
	DefaultRegion = "South Central US"
	// DefaultMaxClockSkew is how far x-ms-date may be from the wall clock (the service's 15 min).
	DefaultMaxClockSkew = 15 * time.Minute
	// DefaultQuerySnapshots bounds the non-streamable query results kept for paging.
	DefaultQuerySnapshots = 256
	// DefaultQuerySnapshotTTL is how long an idle query snapshot survives.
	DefaultQuerySnapshotTTL = 5 * time.Minute
)

// Config configures one emulator. The zero value is usable: Start fills every zero field with
// its default. Config is read once by Start and not retained for mutation.
type Config struct {
	// Addr is the TCP listen address (host:port). Zero means DefaultAddr.
	Addr string
	// Key is the base64 master key clients sign with. Zero means DefaultKey.
	Key string
	// TLS serves HTTPS with a freshly generated self-signed certificate for 127.0.0.1,
	// ::1 and localhost (see Server.CertPool), as Microsoft's emulator does.
	TLS bool
	// Region is the region name in the account document. Zero means DefaultRegion.
	Region string
	// Logger receives lifecycle messages only, never one per request. Nil discards.
	Logger *slog.Logger
	// Throttler decides admission per physical partition. Nil never throttles.
	Throttler Throttler
	// Throughput turns on provisioned-throughput enforcement (429s, offers, autoscale,
	// splits, accounting and billing; see ThroughputConfig). Nil runs a plain emulator that
	// never throttles. It installs its own Throttler, so the two are exclusive.
	Throughput *ThroughputConfig
	// Clock gives the time used for _ts, TTL expiry and the Throttler. Nil means time.Now.
	// Signature dates are always checked against the wall clock, since clients sign with it.
	Clock func() time.Time
	// MaxClockSkew is the accepted distance between x-ms-date and the wall clock. Zero means
	// DefaultMaxClockSkew; negative disables the check.
	MaxClockSkew time.Duration
	// QuerySnapshots bounds how many non-streamable query results are held for paging at
	// once (the oldest is evicted first). Zero means DefaultQuerySnapshots.
	QuerySnapshots int
	// QuerySnapshotTTL is how long an unread query snapshot is kept. Zero means
	// DefaultQuerySnapshotTTL.
	QuerySnapshotTTL time.Duration
}

// withDefaults returns a copy of c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Key == "" {
		c.Key = DefaultKey
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = DefaultMaxClockSkew
	}
	if c.QuerySnapshots == 0 {
		c.QuerySnapshots = DefaultQuerySnapshots
	}
	if c.QuerySnapshotTTL == 0 {
		c.QuerySnapshotTTL = DefaultQuerySnapshotTTL
	}
	return c
}

// Validate reports every problem of c (after defaults), joined. It does not modify c.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: want host:port: %w", c.Addr, err))
	}
	if key, err := base64.StdEncoding.DecodeString(c.Key); err != nil || len(key) == 0 {
		errs = append(errs, errors.New("key: want a non-empty base64 string"))
	}
	if c.QuerySnapshots < 0 {
		errs = append(errs, fmt.Errorf("query snapshots %d: want >= 0", c.QuerySnapshots))
	}
	if c.Throughput != nil {
		if c.Throttler != nil {
			errs = append(errs, errors.New("throughput: set either Throughput or Throttler"))
		}
		if err := c.Throughput.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("throughput: %w", err))
		}
	}
	if c.QuerySnapshotTTL < 0 {
		errs = append(errs, fmt.Errorf("query snapshot ttl %v: want >= 0", c.QuerySnapshotTTL))
	}
	return errors.Join(errs...)
}
