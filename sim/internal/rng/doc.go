// Package rng is the simulator's deterministic random source. Its sequences are part of the
// simulator's output (same seed, same stream, byte for byte), so they are defined here
// rather than borrowed from math/rand, whose derived helpers may change between releases.
package rng
