package epk

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

const (
	// MinInclusive is the lowest bound of the key space.
	MinInclusive = ""
	// MaxExclusive is the sentinel upper bound of the key space, above every EPK.
	MaxExclusive = "FF"
)

// blockDigits is the width of one hashed component: 128 bits as hex.
const blockDigits = 32

// ErrIndivisible is returned by [Midpoint] when a range holds too little of its scheme's
// key space to be cut in two.
var ErrIndivisible = errors.New("epk range cannot be split")

// Compare orders two EPKs or range bounds the way the SDK does: as strings, except that
// a string equals any longer one that extends it with '0' digits only (hierarchical keys
// mix 32- and 64-digit bounds). It returns -1, 0 or +1.
func Compare(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	longer, sign := b[n:], -1
	if len(a) > len(b) {
		longer, sign = a[n:], 1
	}
	if strings.Trim(longer, "0") == "" {
		return 0
	}
	return sign
}

// Range is a half-open range of the key space, [Min, Max), as a partition key range holds.
type Range struct {
	Min string // inclusive; "" is the start of the key space
	Max string // exclusive; "FF" is the end of the key space
}

// Full is the whole key space, the range of a container's first physical partition.
var Full = Range{Min: MinInclusive, Max: MaxExclusive}

// Contains reports whether the EPK e falls in r.
func (r Range) Contains(e string) bool {
	if Compare(r.Min, e) > 0 {
		return false
	}
	return r.Max == MaxExclusive || Compare(e, r.Max) < 0
}

// Validate reports whether r is well formed: upper-case hex bounds and Min < Max.
func (r Range) Validate() error {
	var errs []error
	for _, b := range []struct{ name, v string }{{"min", r.Min}, {"max", r.Max}} {
		if strings.Trim(b.v, hexDigits) != "" {
			errs = append(errs, fmt.Errorf("range %s %q: want upper-case hex digits", b.name, b.v))
		}
	}
	if len(errs) == 0 && r.Max != MaxExclusive && Compare(r.Min, r.Max) >= 0 {
		errs = append(errs, fmt.Errorf("range [%q, %q): min must be below max", r.Min, r.Max))
	}
	return errors.Join(errs...)
}

// Midpoint returns the bound that cuts r into two halves of equal key space, so that the
// hashed keys of scheme s spread evenly over both: V1 EPKs live in [0, 2^32) and V2 EPKs
// in [0, 2^126) of the first 128-bit block, so a cut of ["", "FF") at a plain numeric
// middle would leave one child empty. Only the first block counts, so a range inside one
// first-level hierarchical key is [ErrIndivisible]. The result has 32 hex digits.
func Midpoint(s Scheme, r Range) (string, error) {
	if err := r.Validate(); err != nil {
		return "", err
	}
	top := spaceTop(s)
	lo := boundValue(r.Min, top)
	hi := boundValue(r.Max, top)
	if hi.Cmp(top) > 0 {
		hi = top
	}
	mid := new(big.Int).Sub(hi, lo)
	mid.Rsh(mid, 1).Add(mid, lo)
	if mid.Cmp(lo) <= 0 {
		return "", fmt.Errorf("range [%q, %q): %w", r.Min, r.Max, ErrIndivisible)
	}
	return fmt.Sprintf("%0*X", blockDigits, mid), nil
}

// spaceTop is the exclusive top of the first block's values that scheme s produces.
func spaceTop(s Scheme) *big.Int {
	if s.version() == 1 {
		return new(big.Int).Lsh(big.NewInt(1), 32)
	}
	return new(big.Int).Lsh(big.NewInt(1), 126)
}

// boundValue reads the first block of a bound as a number; "FF" reads as top.
func boundValue(bound string, top *big.Int) *big.Int {
	if bound == MaxExclusive {
		return new(big.Int).Set(top)
	}
	digits := bound
	if len(digits) > blockDigits {
		digits = digits[:blockDigits]
	}
	digits += strings.Repeat("0", blockDigits-len(digits))
	v, _ := new(big.Int).SetString(digits, 16) // Validate checked the digits
	return v
}
