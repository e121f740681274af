package rng

import (
	"hash/fnv"
	"math"
	"math/bits"
)

// Source is a xoshiro256** generator. The zero value is not usable; use New. Not safe for
// concurrent use.
type Source struct{ s0, s1, s2, s3 uint64 }

// New returns a source seeded from seed through splitmix64, as xoshiro's authors recommend.
func New(seed uint64) *Source {
	r := &Source{}
	r.Seed(seed)
	return r
}

// Seed resets r to the sequence of seed.
func (r *Source) Seed(seed uint64) {
	r.s0, seed = splitmix(seed)
	r.s1, seed = splitmix(seed)
	r.s2, seed = splitmix(seed)
	r.s3, _ = splitmix(seed)
}

func splitmix(x uint64) (uint64, uint64) {
	x += 0x9e3779b97f4a7c15
	z := x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31), x
}

// Uint64 returns the next 64 random bits.
func (r *Source) Uint64() uint64 {
	result := bits.RotateLeft64(r.s1*5, 7) * 9
	t := r.s1 << 17
	r.s2 ^= r.s0
	r.s3 ^= r.s1
	r.s1 ^= r.s2
	r.s0 ^= r.s3
	r.s2 ^= t
	r.s3 = bits.RotateLeft64(r.s3, 45)
	return result
}

// IntN returns a value in [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant
// here). n must be positive.
func (r *Source) IntN(n int) int {
	hi, _ := bits.Mul64(r.Uint64(), uint64(n))
	return int(hi)
}

// Float64 returns a value in [0, 1).
func (r *Source) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Chance reports true with probability p.
func (r *Source) Chance(p float64) bool { return r.Float64() < p }

// Skewed returns a value in [0, n) where small values are much more likely: the index is
// n*u^power for uniform u, so power 1 is uniform and power 3 sends about half the draws to
// the first 12.5% of values. Powers 1, 1.5, 2, 2.5 and 3 avoid math.Pow.
func (r *Source) Skewed(n int, power float64) int {
	u := r.Float64()
	var x float64
	switch power {
	case 1:
		x = u
	case 1.5:
		x = u * math.Sqrt(u)
	case 2:
		x = u * u
	case 2.5:
		x = u * u * math.Sqrt(u)
	case 3:
		x = u * u * u
	default:
		x = math.Pow(u, power)
	}
	return min(int(float64(n)*x), n-1)
}

// Derive returns a seed for a named sub-stream of seed, so that each part of a simulation
// (a tenant, a sensor, an attack) has its own sequence independent of the others.
func Derive(seed uint64, parts ...string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	x, _ := splitmix(h.Sum64())
	return x
}
