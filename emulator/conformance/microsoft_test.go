package conformance_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator/conformance"
	"github.com/stampede-load/stampede/internal/msemulator"
)

// microsoftUnsupported lists the cases Microsoft's vNext emulator (a preview) does not
// support, from its published feature-support list and its issue tracker (patch requests
// fail with "missing patch operations array"); they are skipped, with the reason, only in
// the Microsoft mode. Trim the table when a newer image passes a case.
var microsoftUnsupported = conformance.Unsupported{
	"Auth/WrongKeyIs401": "the vNext emulator does not enforce authentication",
	"Item/TimeToLive":    "the vNext emulator does not implement time-to-live expiry",
	"Item/ResponseHeaders": "the vNext emulator does not report request units " +
		"(x-ms-request-charge)",
	"Patch/EveryOperation":     "the vNext emulator does not implement partial document update",
	"Patch/Condition":          "the vNext emulator does not implement partial document update",
	"Patch/Errors":             "the vNext emulator does not implement partial document update",
	"Patch/KeepsPropertyOrder": "the vNext emulator does not implement partial document update",
	"Query/CrossPartitionPaging": "the vNext emulator does not implement query paging " +
		"(continuation tokens) across partitions",
	"Query/PagingWhileWriting": "the vNext emulator does not implement query paging " +
		"(continuation tokens)",
	"Query/OrderByAndAggregates": "the vNext emulator does not implement aggregate queries " +
		"or ORDER BY on strings",
	"Query/UnsupportedIs400": "the vNext emulator answers a cross-partition query with " +
		"cross-partition queries disabled, and malformed queries, with other statuses",
	"Container/HierarchicalKeyAndPolicies": "the vNext emulator does not implement custom " +
		"indexing policies or time-to-live on containers",
	"Container/Query": "the vNext emulator does not implement paging through the " +
		"container feed",
}

// TestMicrosoftEmulator runs the suite against Microsoft's Linux emulator, minus the
// cases in microsoftUnsupported. With STAMPEDE_COSMOS_ENDPOINT set it reuses an emulator
// already running there (key: STAMPEDE_COSMOS_KEY, default the well-known key);
// otherwise it starts the image through testcontainers, and skips where no Docker
// engine answers.
func TestMicrosoftEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance against Microsoft's emulator runs without -short")
	}
	target := microsoftTarget(t)
	conformance.RunExcept(t, func(*testing.T) conformance.Target { return target },
		microsoftUnsupported)
}

func microsoftTarget(t *testing.T) conformance.Target {
	t.Helper()
	if endpoint := os.Getenv("STAMPEDE_COSMOS_ENDPOINT"); endpoint != "" {
		key := os.Getenv("STAMPEDE_COSMOS_KEY")
		if key == "" {
			key = msemulator.Key
		}
		return conformance.Target{Endpoint: endpoint, Key: key}
	}
	em, err := msemulator.Start(t.Context(),
		msemulator.Options{Image: os.Getenv("STAMPEDE_MICROSOFT_EMULATOR_IMAGE")})
	if errors.Is(err, msemulator.ErrNoDocker) {
		t.Skipf("skipping conformance against Microsoft's emulator: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { _ = em.Stop(context.Background()) })
	return conformance.Target{Endpoint: em.Endpoint, Key: em.Key}
}
