package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-load/stampede/sim/attack"
)

// ParseShard parses "I/N" (0 <= I < N) as used by --shard.
func ParseShard(s string) (shard, shards int, err error) {
	i, n, ok := strings.Cut(s, "/")
	if ok {
		shard, err = strconv.Atoi(strings.TrimSpace(i))
		if err == nil {
			shards, err = strconv.Atoi(strings.TrimSpace(n))
		}
	}
	if !ok || err != nil || shards < 1 || shard < 0 || shard >= shards {
		return 0, 0, fmt.Errorf("shard %q: want I/N with 0 <= I < N, such as 0/4", s)
	}
	return shard, shards, nil
}

// ParseAttacks parses a comma-separated attack list as used by --attacks: each item is
// KIND@AT or KIND@AT+FOR with Go durations, e.g. "brute-force@10s,kerberoasting@30s+5s".
// An empty string is no attacks.
func ParseAttacks(s string) ([]attack.Spec, error) {
	var specs []attack.Spec
	var errs []error
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		spec, err := parseAttack(item)
		if err != nil {
			errs = append(errs, fmt.Errorf("attack %d %q: %w", i+1, item, err))
			continue
		}
		specs = append(specs, spec)
	}
	return specs, errors.Join(errs...)
}

func parseAttack(item string) (attack.Spec, error) {
	kind, when, ok := strings.Cut(item, "@")
	if !ok {
		return attack.Spec{}, errors.New("want KIND@AT or KIND@AT+FOR, such as brute-force@10s")
	}
	at, dur, hasFor := strings.Cut(when, "+")
	spec := attack.Spec{Kind: attack.Kind(kind)}
	var err error
	if spec.At, err = time.ParseDuration(at); err != nil {
		return spec, fmt.Errorf("at: %w", err)
	}
	if hasFor {
		if spec.For, err = time.ParseDuration(dur); err != nil {
			return spec, fmt.Errorf("for: %w", err)
		}
	}
	return spec, spec.Validate()
}

// Tokens holds the bearer tokens sensors authenticate with: per sensor, as the backend
// issues them at onboarding, or per tenant. The zero value holds none.
type Tokens struct {
	perTenant map[string]string
	perSensor map[string]string // "tenant/sensor"
}

// For returns the token of a tenant's sensor: its own if listed, else its tenant's, else "".
func (t Tokens) For(tenant, sensor string) string {
	if token, ok := t.perSensor[tenant+"/"+sensor]; ok {
		return token
	}
	return t.perTenant[tenant]
}

// Len returns the number of tokens held.
func (t Tokens) Len() int { return len(t.perTenant) + len(t.perSensor) }

// LoadTokens reads a tokens file: per line "TENANT SENSOR TOKEN" (a sensor's own token,
// as the backend issues them) or "TENANT TOKEN" (every sensor of the tenant); blank lines
// and lines starting with '#' are ignored. name labels errors (e.g. the file name); every
// bad line is reported with its number.
func LoadTokens(r io.Reader, name string) (Tokens, error) {
	t := Tokens{perTenant: map[string]string{}, perSensor: map[string]string{}}
	var errs []error
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := t.add(strings.Fields(text)); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, line, err))
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return t, errors.Join(errs...)
}

func (t Tokens) add(fields []string) error {
	m, key := t.perTenant, ""
	switch len(fields) {
	case 2:
		key = fields[0]
	case 3:
		m, key = t.perSensor, fields[0]+"/"+fields[1]
	default:
		return errors.New("want TENANT SENSOR TOKEN or TENANT TOKEN")
	}
	if _, dup := m[key]; dup {
		return fmt.Errorf("%q listed twice", key)
	}
	m[key] = fields[len(fields)-1]
	return nil
}
