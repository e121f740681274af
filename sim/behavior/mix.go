package behavior

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stampede-load/stampede/backend/api"
)

// Mix weighs the event kinds a sensor generates. Weights are relative (they need not sum
// to 1); directory sync kinds are not part of the mix (see Config.ChurnPerDay).
type Mix map[api.Kind]float64

// DefaultMix is the mix of a typical domain controller: mostly Kerberos service tickets
// and DNS, then logons, LDAP, TGTs and NTLM.
func DefaultMix() Mix {
	return Mix{
		api.KindKerberosTGS:          28,
		api.KindDNSLookup:            22,
		api.KindLogonSuccess:         12,
		api.KindLDAPQuery:            10,
		api.KindKerberosAS:           8,
		api.KindNTLM:                 7,
		api.KindTicketRequest:        7,
		api.KindCredentialValidation: 4,
		api.KindLogonFailure:         2,
	}
}

// Validate reports every problem with m.
func (m Mix) Validate() error {
	var errs []error
	total := 0.0
	for k, w := range m {
		switch {
		case !k.Valid() || k.IsDirectorySync():
			errs = append(errs, fmt.Errorf("mix: kind %s cannot be weighted", k))
		case w < 0 || math.IsNaN(w) || math.IsInf(w, 0):
			errs = append(errs, fmt.Errorf("mix: weight of %s is %v, want >= 0", k, w))
		default:
			total += w
		}
	}
	if len(errs) == 0 && (total <= 0 || math.IsInf(total, 0)) {
		errs = append(errs, errors.New("mix: want a positive, finite total weight"))
	}
	return errors.Join(errs...)
}

// table turns m into cumulative thresholds over the 32-bit range, in kind order so that
// the same mix always gives the same table.
func (m Mix) table() (kinds []api.Kind, thresholds []uint32) {
	total := 0.0
	for _, k := range api.Kinds() {
		total += m[k]
	}
	acc := 0.0
	for _, k := range api.Kinds() {
		if m[k] <= 0 {
			continue
		}
		acc += m[k]
		kinds = append(kinds, k)
		thresholds = append(thresholds, uint32(min(acc/total*(1<<32), 1<<32-1)))
	}
	thresholds[len(thresholds)-1] = 1<<32 - 1
	return kinds, thresholds
}

// ParseMix parses "kind=weight,..." (e.g. "kerberos_tgs=30,dns_lookup=20,ntlm=5") into a
// Mix, reporting every bad item. Kinds are the wire names of backend/api.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	var errs []error
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, weight, ok := strings.Cut(item, "=")
		kind, known := api.ParseKind(strings.TrimSpace(name))
		w, err := strconv.ParseFloat(strings.TrimSpace(weight), 64)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("mix item %d %q: want KIND=WEIGHT", i+1, item))
		case !known || !kind.Valid():
			errs = append(errs, fmt.Errorf("mix item %d %q: unknown kind", i+1, item))
		case err != nil:
			errs = append(errs, fmt.Errorf("mix item %d %q: weight is not a number", i+1, item))
		default:
			m[kind] = w
		}
	}
	if len(errs) == 0 {
		if err := m.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return m, errors.Join(errs...)
}
