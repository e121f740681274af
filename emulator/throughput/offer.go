package throughput

import (
	"errors"
	"fmt"
)

// Documented offer rules.
const (
	manualMinimum       = 400   // RU/s, container or shared database
	manualIncrement     = 100   // RU/s
	autoscaleMinimum    = 1_000 // RU/s of Tmax
	autoscaleIncrement  = 1_000 // RU/s of Tmax
	sharedFreeContainer = 25    // containers a shared database holds at its minimum
	gib                 = 1 << 30
	// newPartitionRUManual is the RU/s per partition a manual container starts with.
	newPartitionRUManual = 6_000
)

// ErrInvalidOffer is returned (wrapped) when an offer breaks the service's rules; the
// emulator answers it with 400 Bad Request.
var ErrInvalidOffer = errors.New("invalid throughput")

// Offer is the provisioned throughput of a container or a shared-throughput database:
// either manual (Throughput set) or autoscale (AutoscaleMax set), never both.
type Offer struct {
	// Throughput is the manual RU/s; zero for autoscale.
	Throughput int `json:"throughput,omitempty"`
	// AutoscaleMax is the autoscale maximum RU/s (Tmax); zero for manual. The resource
	// scales instantly between a tenth of it and all of it.
	AutoscaleMax int `json:"autoscaleMax,omitempty"`
}

// Manual returns a manual offer of ru RU/s.
func Manual(ru int) Offer { return Offer{Throughput: ru} }

// Autoscale returns an autoscale offer with maximum maxRU RU/s.
func Autoscale(maxRU int) Offer { return Offer{AutoscaleMax: maxRU} }

// IsAutoscale reports whether o is an autoscale offer.
func (o Offer) IsAutoscale() bool { return o.AutoscaleMax > 0 }

// Max is the most RU/s o ever allows: the manual value or Tmax.
func (o Offer) Max() int {
	if o.IsAutoscale() {
		return o.AutoscaleMax
	}
	return o.Throughput
}

// Floor is the least RU/s o is billed at: the manual value or a tenth of Tmax.
func (o Offer) Floor() int {
	if o.IsAutoscale() {
		return o.AutoscaleMax / 10
	}
	return o.Throughput
}

// String formats o as "manual 400 RU/s" or "autoscale 1000-10000 RU/s".
func (o Offer) String() string {
	if o.IsAutoscale() {
		return fmt.Sprintf("autoscale %d-%d RU/s", o.Floor(), o.AutoscaleMax)
	}
	return fmt.Sprintf("manual %d RU/s", o.Throughput)
}

// Limits is what the minimum of an offer depends on.
type Limits struct {
	// StorageBytes is the data the resource holds.
	StorageBytes int64
	// MaxEver is the highest RU/s (manual value or Tmax) ever set on the resource.
	MaxEver int
	// Containers is the number of containers sharing a database's throughput; zero for a
	// container's own offer.
	Containers int
	// Quota is the most RU/s allowed; zero means DefaultMaxThroughput.
	Quota int
}

// MinimumManual is the lowest manual RU/s the service accepts under l:
// MAX(400, 1 RU/s per GB, highest ever / 100, 400 + 100 per shared container above 25),
// rounded up to 100.
func MinimumManual(l Limits) int {
	m := max(manualMinimum,
		ceilDiv64(l.StorageBytes, gib),
		ceilDiv(l.MaxEver, 100),
		manualMinimum+max(l.Containers-sharedFreeContainer, 0)*manualIncrement)
	return roundUp(m, manualIncrement)
}

// MinimumAutoscaleMax is the lowest Tmax the service accepts under l:
// MAX(1000, highest ever / 10, 10 RU/s per GB, 1000 + 1000 per shared container above 25),
// rounded up to 1000.
func MinimumAutoscaleMax(l Limits) int {
	m := max(autoscaleMinimum,
		ceilDiv(l.MaxEver, 10),
		10*ceilDiv64(l.StorageBytes, gib),
		autoscaleMinimum+max(l.Containers-sharedFreeContainer, 0)*autoscaleIncrement)
	return roundUp(m, autoscaleIncrement)
}

// Validate checks o against the service's rules under l and reports every problem, each
// wrapping ErrInvalidOffer.
func (o Offer) Validate(l Limits) error {
	quota := l.Quota
	if quota == 0 {
		quota = DefaultMaxThroughput
	}
	switch {
	case o.Throughput != 0 && o.AutoscaleMax != 0:
		return fmt.Errorf("%w: set either manual throughput (%d) or autoscale max (%d), not both",
			ErrInvalidOffer, o.Throughput, o.AutoscaleMax)
	case o.IsAutoscale():
		return validateAutoscale(o.AutoscaleMax, MinimumAutoscaleMax(l), quota)
	default:
		return validateManual(o.Throughput, MinimumManual(l), quota)
	}
}

func validateManual(ru, minimum, quota int) error {
	return validateRU("", ru, manualIncrement, minimum, quota)
}

func validateAutoscale(maxRU, minimum, quota int) error {
	return validateRU("autoscale max ", maxRU, autoscaleIncrement, minimum, quota)
}

// validateRU checks one RU/s value against its step, minimum and quota; what names it in
// messages ("" for manual throughput).
func validateRU(what string, ru, step, minimum, quota int) error {
	var errs []error
	if ru%step != 0 {
		errs = append(errs, fmt.Errorf("%w: %s%d RU/s is not a multiple of %d",
			ErrInvalidOffer, what, ru, step))
	}
	if ru < minimum {
		errs = append(errs, fmt.Errorf("%w: %s%d RU/s is below the minimum of %d RU/s",
			ErrInvalidOffer, what, ru, minimum))
	}
	if ru > quota {
		errs = append(errs, fmt.Errorf("%w: %s%d RU/s is above the maximum of %d RU/s",
			ErrInvalidOffer, what, ru, quota))
	}
	return errors.Join(errs...)
}

// InitialPartitions is how many physical partitions a resource created with o starts with:
// RU/6,000 for a manual container, RU/10,000 for autoscale or a shared database, at least 1.
func InitialPartitions(o Offer, shared bool) int {
	per := newPartitionRUManual
	if o.IsAutoscale() || shared {
		per = PartitionMaxThroughput
	}
	return max(1, ceilDiv(o.Max(), per))
}

// RequiredPartitions is the fewest physical partitions that can serve o: RU/10,000.
func RequiredPartitions(o Offer) int {
	return max(1, ceilDiv(o.Max(), PartitionMaxThroughput))
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func ceilDiv64(a, b int64) int {
	if a <= 0 {
		return 0
	}
	return int((a + b - 1) / b)
}

func roundUp(v, step int) int { return ceilDiv(v, step) * step }
