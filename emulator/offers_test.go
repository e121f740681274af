package emulator

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// FuzzOfferBody feeds arbitrary replacement bodies through the offer decoding and the
// engine's validation: any input is either a clean 400 or a valid offer, never a panic.
func FuzzOfferBody(f *testing.F) {
	f.Add(`{"content":{"offerThroughput":400},"id":"of1"}`)
	f.Add(`{"content":{"offerAutopilotSettings":{"maxThroughput":5000}}}`)
	f.Add(`{"content":{"offerThroughput":-5,"offerAutopilotSettings":{"maxThroughput":0}}}`)
	f.Add(`{"content":{}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in offerDoc
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		o, err := in.Content.offer()
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.kind != kindBadRequest {
				t.Fatalf("offer content error %v is not a 400", err)
			}
			return
		}
		if err := o.Validate(throughput.Limits{}); err != nil &&
			!errors.Is(err, throughput.ErrInvalidOffer) {
			t.Fatalf("validation error %v does not wrap ErrInvalidOffer", err)
		}
	})
}

func TestThroughputConfig_Validate(t *testing.T) {
	require.NoError(t, Config{Throughput: &ThroughputConfig{}}.Validate())
	err := Config{
		Throughput: &ThroughputConfig{PartitionMaxBytes: -1, LogicalPartitionMaxBytes: -1,
			MaintenanceInterval: -1, Engine: throughput.Config{Regions: -1}},
		Throttler: admitAll{},
	}.Validate()
	for _, want := range []string{"set either Throughput or Throttler",
		"partition max bytes -1", "logical partition max bytes -1",
		"maintenance interval -1ns", "regions -1"} {
		require.ErrorContains(t, err, want)
	}
	_, err = New(Config{Throughput: &ThroughputConfig{SplitDelay: 0,
		Engine: throughput.Config{HourLength: time.Microsecond}}})
	require.ErrorContains(t, err, "hour length 1µs")
}

// admitAll is a Throttler that never throttles.
type admitAll struct{}

func (admitAll) Admit(PartitionRef, time.Time) (time.Duration, bool) { return 0, true }
func (admitAll) Consume(PartitionRef, time.Time, float64)            {}
