package emulator_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stampede-load/stampede/emulator"
)

// An account with two regions: take the write region down, fail over, and read what the
// drill lost from the report.
func ExampleStartAccount() {
	ctx := context.Background()
	a, err := emulator.StartAccount(ctx, emulator.Config{}, emulator.RegionsConfig{
		Regions: []string{"West US 2", "East US 2"},
		Lag:     emulator.Lag{Min: 50 * time.Millisecond},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	// Clients use a.Endpoint() with PreferredRegions; here the drill runs without load.
	_ = a.RegionDown(ctx, "West US 2", emulator.Outage503)
	_ = a.Failover(ctx, "East US 2")
	report := a.Report()
	fmt.Println(report.WriteRegion, len(report.Events), report.LostAcknowledged)
	// Output: East US 2 2 0
}
