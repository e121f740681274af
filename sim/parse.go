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

// LoadTokens reads a tokens file: one "TENANT TOKEN" (or "TENANT=TOKEN") per line, blank
// lines and lines starting with '#' ignored, as written down when the backend onboards
// the tenants. name labels errors (e.g. the file name).
func LoadTokens(r io.Reader, name string) (map[string]string, error) {
	tokens := map[string]string{}
	var errs []error
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		tenant, token, ok := strings.Cut(text, "=")
		if !ok {
			fields := strings.Fields(text)
			ok = len(fields) == 2
			if ok {
				tenant, token = fields[0], fields[1]
			}
		}
		tenant, token = strings.TrimSpace(tenant), strings.TrimSpace(token)
		switch {
		case !ok || tenant == "" || token == "":
			errs = append(errs, fmt.Errorf("%s:%d: want TENANT TOKEN or TENANT=TOKEN", name, line))
		case tokens[tenant] != "":
			errs = append(errs, fmt.Errorf("%s:%d: tenant %q listed twice", name, line, tenant))
		default:
			tokens[tenant] = token
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return tokens, errors.Join(errs...)
}
