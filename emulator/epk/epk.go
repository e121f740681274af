package epk

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Kind is a container's partition key kind, as in its partitionKey definition.
type Kind string

const (
	// KindHash is a single-path partition key.
	KindHash Kind = "Hash"
	// KindMultiHash is a hierarchical partition key of up to three paths.
	KindMultiHash Kind = "MultiHash"
)

// Scheme is how a container hashes its partition key: its kind and hash version. The zero
// value is the SDK's default for a definition without a version: Hash, version 1.
type Scheme struct {
	Kind    Kind
	Version int // 1 or 2; 0 means 1, as the SDK reads a missing version
}

// Validate reports whether the scheme is one the SDK can compute.
func (s Scheme) Validate() error {
	var errs []error
	if s.Kind != "" && s.Kind != KindHash && s.Kind != KindMultiHash {
		errs = append(errs, fmt.Errorf("partition key kind %q: want %q or %q",
			s.Kind, KindHash, KindMultiHash))
	}
	if s.Version < 0 || s.Version > 2 {
		errs = append(errs, fmt.Errorf("partition key version %d: want 1 or 2", s.Version))
	}
	return errors.Join(errs...)
}

func (s Scheme) version() int {
	if s.Version == 0 {
		return 1
	}
	return s.Version
}

// Undefined is the partition key component of an item that has no value at the partition
// key path. An empty component list hashes as a single Undefined.
type Undefined struct{}

// Component type markers of the hashing input.
const (
	markUndefined byte = 0x00
	markNull      byte = 0x01
	markFalse     byte = 0x02
	markTrue      byte = 0x03
	markNumber    byte = 0x05
	markString    byte = 0x08
)

// Compute returns the effective partition key of the components under scheme s, as the
// SDK routes it: V1 is one 32-digit block per component; V2 Hash is one 32-digit block
// for all components; V2 MultiHash one 32-digit block per component. V2 blocks have the
// two top bits of their first byte cleared. Components are string, float64 (other Go
// numbers and json.Number are converted), bool, nil or Undefined; anything else is an
// error naming the component.
func Compute(s Scheme, components []any) (string, error) {
	if len(components) == 0 {
		components = undefinedKey
	}
	norm := components
	for i, c := range components {
		if canonical(c) {
			continue
		}
		v, err := normalize(c)
		if err != nil {
			return "", fmt.Errorf("partition key component %d: %w", i, err)
		}
		if &norm[0] == &components[0] {
			norm = append([]any(nil), components...)
		}
		norm[i] = v
	}
	switch {
	case s.version() == 1:
		return computeV1(norm), nil
	case s.Kind == KindMultiHash:
		return computeV2MultiHash(norm), nil
	default:
		return computeV2Hash(norm), nil
	}
}

var undefinedKey = []any{Undefined{}}

// canonical reports whether c is already one of the types the hashing understands.
func canonical(c any) bool {
	switch c.(type) {
	case nil, string, bool, float64, Undefined:
		return true
	}
	return false
}

// normalize maps a decoded component to one of the types the hashing understands.
func normalize(c any) (any, error) {
	switch v := c.(type) {
	case nil, string, bool, float64, Undefined:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	case int32:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case uint32:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("number %q: %w", v.String(), err)
		}
		return f, nil
	default:
		return nil, fmt.Errorf("type %T: want string, number, bool, null or undefined", c)
	}
}

// appendComponent writes one component of the hashing input; strings end with suffix
// (0x00 for V1, 0xFF for V2).
func appendComponent(buf []byte, c any, suffix byte) []byte {
	switch v := c.(type) {
	case nil:
		return append(buf, markNull)
	case bool:
		if v {
			return append(buf, markTrue)
		}
		return append(buf, markFalse)
	case float64:
		buf = append(buf, markNumber)
		return binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	case string:
		buf = append(buf, markString)
		buf = append(buf, v...)
		return append(buf, suffix)
	default: // Undefined
		return append(buf, markUndefined)
	}
}

// inputBuffer is the stack space for the hashing input of typical keys.
type inputBuffer [128]byte

func computeV1(components []any) string {
	out := make([]byte, 0, 32*len(components))
	var stack inputBuffer
	buf := stack[:0]
	for _, c := range components {
		buf = appendComponent(buf[:0], c, 0x00)
		var block [16]byte
		binary.BigEndian.PutUint32(block[12:], murmur32(buf, 0))
		out = appendHex(out, block[:])
	}
	return string(out)
}

func computeV2Hash(components []any) string {
	var stack inputBuffer
	buf := stack[:0]
	for _, c := range components {
		buf = appendComponent(buf, c, 0xFF)
	}
	var out [blockDigits]byte
	return string(appendV2Block(out[:0], buf))
}

func computeV2MultiHash(components []any) string {
	out := make([]byte, 0, 32*len(components))
	var stack inputBuffer
	buf := stack[:0]
	for _, c := range components {
		buf = appendComponent(buf[:0], c, 0xFF)
		out = appendV2Block(out, buf)
	}
	return string(out)
}

// appendV2Block appends the 128-bit hash of input as 32 hex digits, most significant byte
// first (h2 big-endian, then h1 big-endian), with the top two bits cleared so that every
// EPK sorts below the "FF" sentinel.
func appendV2Block(out, input []byte) []byte {
	h1, h2 := murmur128(input)
	var block [16]byte
	binary.BigEndian.PutUint64(block[0:], h2)
	binary.BigEndian.PutUint64(block[8:], h1)
	block[0] &= 0x3F
	return appendHex(out, block[:])
}

const hexDigits = "0123456789ABCDEF"

func appendHex(out, data []byte) []byte {
	for _, b := range data {
		out = append(out, hexDigits[b>>4], hexDigits[b&0x0F])
	}
	return out
}
