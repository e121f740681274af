package emulator

import (
	"encoding/json"
	"errors"
	"testing"

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
