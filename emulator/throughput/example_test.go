package throughput_test

import (
	"fmt"
	"time"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// A container at 400 RU/s with one partition admits 40 requests of 10 RU in a second and
// refuses the rest until the next second.
func ExampleEngine() {
	e, err := throughput.NewEngine(throughput.Config{})
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	offer := throughput.Manual(400)
	err = e.CreateContainer(throughput.ContainerSpec{Database: "tenant", Container: "alerts",
		RID: "rid", Offer: &offer}, t0)
	if err != nil {
		panic(err)
	}
	ref := throughput.PartitionRef{Database: "tenant", Container: "alerts",
		ContainerRID: "rid", RangeID: "0"}
	now := t0.Add(250 * time.Millisecond)
	var retry time.Duration
	for range 50 {
		wait, ok := e.Admit(ref, now)
		if !ok {
			retry = wait
			continue
		}
		e.Consume(ref, now, 10)
	}
	s := e.Seconds(t0, t0.Add(time.Second))[0]
	fmt.Printf("consumed %.0f RU of %.0f, %d of %d requests throttled, retry after %v\n",
		s.ConsumedRU, s.ProvisionedRU, s.Throttled, s.Requests, retry)

	bill := e.Bills(t0.Add(90 * time.Minute))[0]
	fmt.Printf("%d hours billed, %.0f RU/s-hours, $%.3f\n", len(bill.Hours), bill.RUHours,
		bill.Cost)
	// Output:
	// consumed 400 RU of 400, 10 of 50 requests throttled, retry after 750ms
	// 2 hours billed, 800 RU/s-hours, $0.064
}
