package emulator

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator/conformance"
)

// TestRegionsConformance runs the SDK conformance suite against the account endpoint of a
// three-region account: the front handlers, replication hooks and metadata mirroring must
// leave the single-region behaviour unchanged.
func TestRegionsConformance(t *testing.T) {
	a, err := StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"West US 2", "East US 2", "North Europe"}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	target := conformance.Target{Endpoint: a.Endpoint(), Key: a.Key()}
	conformance.Run(t, func(*testing.T) conformance.Target { return target })
}
